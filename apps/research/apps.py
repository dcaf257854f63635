from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    """Campaign 3, from research to production: R&D entities, results, carriers and matching."""

    name = "apps.research"
    verbose_name = _("Research to production")
