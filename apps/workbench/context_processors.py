import functools

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The product's navigation: the four campaigns and the ranking.
CAMPAIGNS = [
    {"key": "service", "label": _("Serving enterprises"), "url_name": "service:todo", "app": "service"},
    {"key": "projects", "label": _("Project construction"), "url_name": "projects:list", "app": "projects"},
    {
        "key": "research",
        "label": _("Research to production"),
        "url_name": "research:result_list",
        "app": "research",
    },
    {
        "key": "investment",
        "label": _("Attracting investment"),
        "url_name": "investment:pipeline",
        "app": "investment",
    },
    {"key": "ranking", "label": _("Ranking board"), "url_name": "rankings:board", "app": "rankings"},
]


def navigation(request):
    context = {"nav_campaigns": nav_items()}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The unread badge: a counter on the user row the services keep (no query of its own).
        context["unread_count"] = user.unread_notifications
    return context


@functools.cache
def _nav_items(language: str, prefix: str) -> tuple[dict, ...]:
    return tuple(
        {**item, "label": str(item["label"]), "url": reverse(item["url_name"])} for item in CAMPAIGNS
    )


def nav_items() -> tuple[dict, ...]:
    """The main navigation as data (labels in the active language, URLs reversed), worked out once per
    language and URL prefix for the life of the process instead of on every page."""
    return _nav_items(get_language(), get_script_prefix())
