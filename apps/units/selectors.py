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


def units_to_choose(request) -> list[tuple[int, str]] | None:
    """The units a viewer may pick on a figures page (those who see every unit), else None: (id, short
    name) pairs, which the period form draws as its options in one tag (a province has hundreds)."""
    if not request.user.has_perm("accounts.view_all_units"):
        return None
    return list(Unit.objects.active().values_list("pk", "short_name"))
