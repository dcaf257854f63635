from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Notifications beyond the in-app badge: e-mail and the units' WeCom and DingTalk group robots."""

    name = "apps.messaging"
    verbose_name = _("Messaging")
