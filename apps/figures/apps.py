from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FiguresConfig(AppConfig):
    name = "apps.figures"
    verbose_name = _("Figures")

    def ready(self):
        from apps.figures import signals  # noqa: F401  (keeps the monthly roll-ups exact on every write)
        from apps.figures.cache import install_triggers

        # every table the figures read tells the kept figures when it changes (apps/figures/cache.py)
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="figures_install_triggers")
