from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from apps.core.health import healthz
from apps.workbench import views as workbench

urlpatterns = [
    path("", workbench.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The enterprise record gathers every campaign, so it is composed at the top (apps.workbench).
    path("enterprises/<int:pk>/", workbench.enterprise_record, name="enterprise_record"),
    path("enterprises/", include("apps.enterprises.urls")),
    path("service/", include("apps.service.urls")),
    path("projects/", include("apps.projects.urls")),
    path("research/", include("apps.research.urls")),
    path("investment/", include("apps.investment.urls")),
    path("audit/", include("apps.audit.urls")),
    path("ranking/", include("apps.rankings.urls")),
    # The progress bar and the figures API read every campaign and the ranking's targets: at the top.
    path("dashboard/", workbench.dashboard, name="dashboard"),
    path("api/figures/", workbench.figures_api, name="figures_api"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler500 = "apps.core.views.server_error"
