from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("overview/", views.overview, name="overview"),
    path("export/", views.ProjectExportView.as_view(), name="export"),
    path("new/", views.ProjectFormView.as_view(), name="create"),
    path("import/", views.ProjectImportView.as_view(), name="import"),
    path("monthly/", views.monthly_report, name="monthly_report"),
    path("monthly/import/", views.InvestmentImportView.as_view(), name="investment_import"),
    path("reports/<int:pk>/correct/", views.report_correct, name="report_correct"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.ProjectFormView.as_view(), name="update"),
    path("<int:pk>/plan/", views.project_plan, name="plan"),
    path("<int:pk>/start/", views.project_start, name="start"),
    path("<int:pk>/visit/", views.ProjectVisitCreateView.as_view(), name="visit_create"),
]
