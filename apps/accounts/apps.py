from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from . import two_factor  # noqa: F401 - connects the sign-in receiver
