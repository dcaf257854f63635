"""The session engine (SESSION_ENGINE): Django's database sessions, each row tagged with its user.

Django refuses a deactivated user's session at their next request already (ModelBackend.get_user returns
no inactive user); tagging the rows lets deactivation delete them outright (User.save, UserQuerySet.update).
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session
