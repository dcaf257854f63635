from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RankingsConfig(AppConfig):
    """The monthly ranking board (排行榜): indicators as data, scoring, publishing and the meeting pack."""

    name = "apps.rankings"
    verbose_name = _("Ranking board")
