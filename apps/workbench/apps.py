from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The top of the house: the pages that gather every campaign — home, the progress bar (dashboard), the
    figures API, the enterprise record (一企一档) and the navigation. It composes the campaigns' figures and
    the ranking's targets; it keeps no figure of its own."""

    name = "apps.workbench"
    verbose_name = _("Workbench")
