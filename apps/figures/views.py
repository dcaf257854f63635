from django.shortcuts import render

from . import selectors


def home(request):
    """The workbench's front page: the user's unit and the district at a glance."""
    user = request.user
    context = {"district": selectors.enterprise_figures()}
    if user.unit_id:
        context["unit_figures"] = selectors.enterprise_figures(unit_id=user.unit_id)
    return render(request, "figures/home.html", context)
