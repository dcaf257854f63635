from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from apps.core.validators import validate_mobile
from apps.units.models import Unit


class UserQuerySet(models.QuerySet):
    """Deactivating users in bulk ends their sessions too, as saving one inactive user does."""

    def update(self, **kwargs):
        if kwargs.get("is_active") is False:
            with transaction.atomic(using=self.db):
                ids = list(self.values_list("pk", flat=True))
                count = super().update(**kwargs)
                UserSession.objects.filter(user_id__in=ids).delete()
            return count
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            count = super().bulk_update(objs, fields, batch_size=batch_size)
            if "is_active" in fields:
                UserSession.objects.filter(user_id__in=[o.pk for o in objs if not o.is_active]).delete()
        return count


class AccountsUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


def person_name(
    display_name: str | None, first_name: str | None, last_name: str | None, username: str | None
) -> str:
    """A user's name as `User.__str__` gives it, from those four columns read with a list's rows (no user
    object built); nobody (every column NULL): ""."""
    return display_name or f"{first_name or ''} {last_name or ''}".strip() or username or ""


class User(AbstractUser):
    """A person who signs in. Everyone but a pure system administrator belongs to one unit."""

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_mobile])
    # The unread-notification badge on every page, kept by a trigger on service_notification (every insert,
    # read and delete, bulk ones included) so that no page has to count notifications.
    unread_notifications = models.PositiveIntegerField(_("unread notifications"), default=0, editable=False)

    objects = AccountsUserManager()

    class Meta:
        ordering = ["unit__sort_order", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_all_units", _("Can see the records and figures of every unit")),
            ("manage_unit", _("Can assign, transfer and confirm work within own unit")),
        ]

    def __str__(self) -> str:
        return person_name(self.display_name, self.first_name, self.last_name, self.username)

    def opens_unit(self, unit_id: int | None) -> bool:
        """Whether this user may open the confidential records of unit `unit_id` (its requests, projects,
        leads, memo): their own unit's, or any unit's with the district-wide permission."""
        return self.is_authenticated and (
            self.has_perm("accounts.view_all_units") or (unit_id is not None and unit_id == self.unit_id)
        )

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not self.is_active:
            # A deactivated user is signed out everywhere at once, not only refused at the next request.
            UserSession.objects.filter(user_id=self.pk).delete()

    def clean(self):
        super().clean()
        if self.unit_id is None and not self.is_superuser:
            raise ValidationError({"unit": _("Every user except a superuser must belong to a unit.")})

    @property
    def sees_all_units(self) -> bool:
        return self.has_perm("accounts.view_all_units")

    @property
    def units_seen(self) -> str | int | None:
        """Whose confidential records this user sees (their requests, visits, leads: each model's
        `visible_to`), as a key: "every unit" with the district-wide permission, else their unit's id. A
        list's statements are composed once per process for it (FilteredListView.visibility_key)."""
        return "every unit" if self.sees_all_units else self.unit_id

    @property
    def manages_unit(self) -> bool:
        return self.has_perm("accounts.manage_unit")


class UserSession(AbstractBaseSession):
    """A database session that records whose it is (apps/accounts/sessions.py fills `user`), so that a
    user's sessions can be found, and deleted, without decoding every session."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sessions", null=True, blank=True
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return self.session_key

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
