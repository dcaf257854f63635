from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="list"),
    path("export/", views.EnterpriseExportView.as_view(), name="export"),
    path("import/", views.EnterpriseImportView.as_view(), name="import"),
    path("new/", views.EnterpriseFormView.as_view(), name="create"),
    path("pick/", views.enterprise_pick, name="pick"),
    # <int:pk>/ is the enterprise record, composed at the top with every campaign (see jianbei/urls.py).
    path("<int:pk>/edit/", views.EnterpriseFormView.as_view(), name="update"),
]
