from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiguresConfig(AppConfig):
    name = "apps.figures"
    verbose_name = _("Figures")

    def ready(self):
        from apps.figures import signals  # noqa: F401  (keeps the monthly roll-ups exact on every write)
