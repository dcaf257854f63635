from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The enterprise side (企业端): an enterprise contact's personal link to submit requests, follow their
    enterprise's requests and rate closures, without a staff account. It sits above campaign 1 (it calls
    its services); campaign 1 never knows it exists."""

    name = "apps.portal"
    verbose_name = _("Enterprise side")
