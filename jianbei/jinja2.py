"""The Jinja2 environment (settings.TEMPLATES, the "jinja2" engine) for the few tables drawn on every
everyday page (templates/jinja2/): Jinja2 compiles a template to Python, and a 50-row table costs a fifth of
what Django's template engine spends on it. Everything else stays in Django templates.

Autoescaping is always on; `_()` / `ngettext()` are Django's translations, so the
tables speak the active language and `makemessages` finds their strings (`{{ _("…") }}` is also Django
template syntax)."""

from django.utils import translation
from jinja2 import Environment

from apps.core.templatetags.amounts import format_amount


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    env.filters["amount"] = format_amount  # as the Django templates' `amount`
    return env
