"""Headers every page carries, and the health check the load balancer calls without signing in."""

import pytest
from django.urls import reverse

from .conftest import client_for


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(staff_a):
    response = client_for(staff_a).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_no_template_uses_inline_script_or_style(staff_a):
    html = client_for(staff_a).get(reverse("service:visit_create")).content.decode()
    assert " style=" not in html
    assert "<script>" not in html and "onclick=" not in html


@pytest.mark.django_db
def test_health_check_answers_anonymous_callers_with_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
