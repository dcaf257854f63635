from django.contrib.auth.decorators import login_not_required
from django.db import Error, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .middleware import log_outage, unavailable


@login_not_required
@never_cache
def healthz(request):
    """For the load balancer: 200 when the app can reach its database, 503 (logged) otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Error as exc:  # any database failure means "not healthy"
        request_id = log_outage(request, exc)
        return unavailable(JsonResponse({"status": "unavailable", "request_id": request_id}, status=503))
    return JsonResponse({"status": "ok"})
