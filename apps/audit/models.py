"""The audit history: who changed what, when, with the values before and after.

Database triggers (django-pghistory) copy a row into its history table after every insert and update and
before every delete, so bulk writes, queryset updates, imports, Django admin actions and raw SQL are all
recorded. Who and where come from the request (pghistory's middleware: user id and URL) or from a command
that wraps its writes in `pghistory.context(...)`.

Every audited model is declared here as a proxy: the triggers and the history tables live in this app's
migrations, so no other app knows it is audited, and Django's own Group can be audited too. Passwords,
sessions and login times are never copied.
"""

import pghistory
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.enterprises.models import Enterprise
from apps.investment.models import Lead
from apps.projects.models import MonthlyReport, Project
from apps.research.models import Carrier, Entity, Result
from apps.service.models import Request, Supervision, Visit
from apps.units.models import Unit

CREATE, UPDATE, DELETE = "insert", "update", "delete"
ADD, REMOVE = "add", "remove"
PASSWORD = "password_change"

# Copied fields of a user: never the password hash nor the last login (a sign-in is not a change).
USER_FIELDS = [
    "id", "username", "first_name", "last_name", "email", "display_name", "phone", "unit", "is_active",
    "is_staff", "is_superuser", "date_joined",
]  # fmt: skip


def fields_except(model, *names: str) -> list[str]:
    """Every concrete field of `model` but `names` (derived columns that campaigns keep, not edits)."""
    return [f.name for f in model._meta.concrete_fields if f.name not in names]


def _row_trackers():
    # Statement-level triggers: a bulk write of 5,000 rows runs each trigger once, not 5,000 times. An update
    # that changes nothing but `updated_at` leaves no history.
    return (
        pghistory.InsertEvent(CREATE),
        pghistory.UpdateEvent(UPDATE, condition=pghistory.AnyChange(exclude_auto=True)),
        pghistory.DeleteEvent(DELETE),
    )


def _link_trackers():
    """For many-to-many rows (a user's roles, a role's permissions): added or removed."""
    return pghistory.InsertEvent(ADD), pghistory.DeleteEvent(REMOVE)


def audited(model_name: str, verbose_name, *trackers, fields=None, record=True):
    """Record the history of the proxy it decorates in `audit.<model_name>`."""
    return pghistory.track(
        *(trackers or _row_trackers()),
        fields=fields,
        obj_field=pghistory.ObjForeignKey(related_name="+", related_query_name="+", db_index=True)
        if record
        else None,
        model_name=model_name,
        app_label="audit",
        level=pghistory.Statement,
        # Chinese has no plural: without its own plural the admin would add an English "s" to the name
        meta={"verbose_name": verbose_name, "verbose_name_plural": verbose_name, "default_permissions": ()},
    )


class _Proxy:
    class Meta:
        proxy = True
        default_permissions = ()


# --- campaign records -------------------------------------------------------------------------------------


@audited("RequestHistory", _("request history"))
class AuditedRequest(Request):
    class Meta(_Proxy.Meta):
        pass


@audited("RequestCoUnitHistory", _("co-handling unit history"), *_link_trackers(), record=False)
class AuditedRequestCoUnit(Request.co_units.through):
    class Meta(_Proxy.Meta):
        pass


# 督办: who put a request under supervision with which instruction and deadline, and who answered it
@audited("SupervisionHistory", _("supervision history"))
class AuditedSupervision(Supervision):
    class Meta(_Proxy.Meta):
        pass


@audited("VisitHistory", _("visit history"))
class AuditedVisit(Visit):
    class Meta(_Proxy.Meta):
        pass


@audited("VisitJointUnitHistory", _("joint unit history"), *_link_trackers(), record=False)
class AuditedVisitJointUnit(Visit.joint_units.through):
    class Meta(_Proxy.Meta):
        pass


@audited("ProjectHistory", _("project history"))
class AuditedProject(Project):
    class Meta(_Proxy.Meta):
        pass


@audited("MonthlyReportHistory", _("monthly investment report history"))
class AuditedMonthlyReport(MonthlyReport):
    class Meta(_Proxy.Meta):
        pass


# its derived moments follow its events and fields, which have their history
@audited("LeadHistory", _("investment lead history"), fields=fields_except(Lead, "open_until", "stale_from"))
class AuditedLead(Lead):
    class Meta(_Proxy.Meta):
        pass


@audited("EnterpriseHistory", _("enterprise history"))
class AuditedEnterprise(Enterprise):
    class Meta(_Proxy.Meta):
        pass


@audited("EntityHistory", _("R&D entity history"), fields=fields_except(Entity, "visit_months"))
class AuditedEntity(Entity):
    class Meta(_Proxy.Meta):
        pass


@audited("ResultHistory", _("R&D result history"))
class AuditedResult(Result):
    class Meta(_Proxy.Meta):
        pass


@audited("CarrierHistory", _("carrier history"))
class AuditedCarrier(Carrier):
    class Meta(_Proxy.Meta):
        pass


# --- units, users and roles ---------------------------------------------------------------------------------


@audited("UnitHistory", _("unit history"))
class AuditedUnit(Unit):
    class Meta(_Proxy.Meta):
        pass


@audited(
    "UserHistory",
    _("user history"),
    *_row_trackers(),
    # A new password leaves a row (without the hash) saying that it changed.
    pghistory.UpdateEvent(PASSWORD, condition=pghistory.AnyChange("password")),
    fields=USER_FIELDS,
)
class AuditedUser(User):
    class Meta(_Proxy.Meta):
        pass


@audited("UserRoleHistory", _("user role history"), *_link_trackers(), record=False)
class AuditedUserRole(User.groups.through):
    class Meta(_Proxy.Meta):
        pass


@audited("UserPermissionHistory", _("user permission history"), *_link_trackers(), record=False)
class AuditedUserPermission(User.user_permissions.through):
    class Meta(_Proxy.Meta):
        pass


@audited("RoleHistory", _("role history"))
class AuditedRole(Group):
    class Meta(_Proxy.Meta):
        pass


@audited("RolePermissionHistory", _("role permission history"), *_link_trackers(), record=False)
class AuditedRolePermission(Group.permissions.through):
    class Meta(_Proxy.Meta):
        pass
