from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """Campaign 1, serving enterprises: visits, requests (诉求) and the issue to-do list."""

    name = "apps.service"
    verbose_name = _("Serving enterprises")
