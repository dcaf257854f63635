"""The Jinja2 environment (settings.TEMPLATES, the "jinja2" engine) for the few tables drawn on every
everyday page and the top bar every page draws (templates/jinja2/): Jinja2 compiles a template to Python,
and a 50-row table costs a fifth of what Django's template engine spends on it. Everything else stays in
Django templates.

Autoescaping is always on; `_()` / `ngettext()` are Django's translations, so the
tables speak the active language and `makemessages` finds their strings (`{{ _("…") }}` is also Django
template syntax)."""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from jinja2 import Environment

from apps.core.templatetags.amounts import format_amount


def environment(**options) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    env.filters["amount"] = format_amount  # as the Django templates' `amount`
    # as Django's {% url %}, {% static %}, {% get_current_language %} and {% get_available_languages %}
    env.globals.update(
        url=reverse,
        static=static,
        current_language=translation.get_language,
        languages=settings.LANGUAGES,
    )
    return env
