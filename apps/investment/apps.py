from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    """Campaign 4, attracting investment: leads from first contact to signing and start, and trips."""

    name = "apps.investment"
    verbose_name = _("Attracting investment")
