from django.contrib.auth.decorators import login_not_required
from django.db import Error, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .middleware import database_unavailable


@login_not_required
@never_cache
def healthz(request):
    """For the load balancer: 200 when the app can reach its database, 503 (logged) otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Error as exc:  # any database failure means "not healthy"
        return database_unavailable(request, exc)
    return JsonResponse({"status": "ok"})
