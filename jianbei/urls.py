from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from apps.core.health import healthz
from apps.portal import urls as portal_urls
from apps.workbench import views as workbench
from apps.workbench import workdays_views

urlpatterns = [
    path("", workbench.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("apps.accounts.urls")),
    # the signed-in user's own settings: which events reach them by e-mail and group robot
    path("accounts/notifications/", include("apps.messaging.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The enterprise record gathers every campaign, so it is composed at the top (apps.workbench).
    path("enterprises/<int:pk>/", workbench.enterprise_record, name="enterprise_record"),
    # Staff issue and revoke an enterprise contact's personal link (apps.portal) from the enterprise record.
    path("enterprises/<int:enterprise_pk>/links/", include(portal_urls.staff)),
    path("enterprises/", include("apps.enterprises.urls")),
    path("service/", include("apps.service.urls")),
    path("projects/", include("apps.projects.urls")),
    path("research/", include("apps.research.urls")),
    path("investment/", include("apps.investment.urls")),
    path("audit/", include("apps.audit.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("ranking/", include("apps.rankings.urls")),
    # The progress bar and the figures API read every campaign and the ranking's targets: at the top.
    path("dashboard/", workbench.dashboard, name="dashboard"),
    path("api/figures/", workbench.figures_api, name="figures_api"),
    # The admin's year grid of the working-day calendar saves days and recomputes the open requests'
    # deadlines they move, so it is the top app's (apps.workbench.workdays), placed before the admin's URLs.
    path("admin/workdays/year/<int:year>/", workdays_views.calendar_year, name="calendar_year"),
    path("admin/workdays/year/<int:year>/day/", workdays_views.calendar_day, name="calendar_day"),
    path("admin/workdays/year/<int:year>/notice/", workdays_views.calendar_notice, name="calendar_notice"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # The enterprise side (企业端): public pages behind a personal link, each checks its token (apps.portal).
    path("e/", include(portal_urls.public)),
]

handler500 = "apps.core.views.server_error"
