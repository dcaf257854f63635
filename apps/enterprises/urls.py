from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="list"),
    path("export/", views.EnterpriseExportView.as_view(), name="export"),
    path("import/", views.EnterpriseImportView.as_view(), name="import"),
    path("new/", views.EnterpriseFormView.as_view(), name="create"),
    path("<int:pk>/", views.EnterpriseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.EnterpriseFormView.as_view(), name="update"),
]
