"""Which unit a page is about."""

from .models import Unit


def unit_from_request(request) -> Unit | None:
    """?unit= for those who see every unit (none by default: they look at the district); everyone else sees
    their own unit."""
    if request.user.has_perm("accounts.view_all_units"):
        if request.GET.get("unit", "").isdecimal():
            return Unit.objects.filter(pk=int(request.GET["unit"])).first()
        return None
    return request.user.unit


def units_to_choose(request):
    """The units a viewer may pick on a figures page (those who see every unit), else None."""
    return Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None
