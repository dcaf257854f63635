"""The session engine (SESSION_ENGINE): Django's database sessions, each row tagged with its user.

Django refuses a deactivated user's session at their next request already (ModelBackend.get_user returns
no inactive user); tagging the rows lets deactivation delete them outright (User.save, UserQuerySet.update).
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from apps.core import prepared
from apps.core.prepared import Late


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def load(self):
        """The session's data, read by one plain statement: Django's ORM composed the same lookup on every
        request (~0.4 ms of every page). An unknown or expired key is no session, as in Django's."""
        db = router.db_for_read(self.model)
        quote = connections[db].ops.quote_name
        table, data, key, expires = map(
            quote, (self.model._meta.db_table, "session_data", "session_key", "expire_date")
        )
        # prepared on each connection, the session's key and the moment its parameters
        with connections[db].cursor() as cursor:
            prepared.execute(
                cursor,
                f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s",  # noqa: S608 (names, quoted)
                [Late(self.session_key, "text"), Late(timezone.now(), "timestamptz")],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session
