from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """Campaign 2, project construction: major projects, yearly plans, monthly investment reports."""

    name = "apps.projects"
    verbose_name = _("Project construction")
