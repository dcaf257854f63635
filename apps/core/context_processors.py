from django.utils.translation import gettext_lazy as _

# The product's navigation: the four campaigns and the ranking. A section that is not built yet is shown
# greyed out with "coming", never as a page with made-up data.
CAMPAIGNS = [
    {"key": "service", "label": _("Serving enterprises"), "url_name": None},
    {"key": "projects", "label": _("Project construction"), "url_name": None},
    {"key": "research", "label": _("Research to production"), "url_name": None},
    {"key": "investment", "label": _("Attracting investment"), "url_name": None},
    {"key": "ranking", "label": _("Ranking board"), "url_name": None},
]


def navigation(request):
    return {"nav_campaigns": CAMPAIGNS}
