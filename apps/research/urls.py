from django.urls import path

from . import views

app_name = "research"

urlpatterns = [
    path("entities/", views.EntityListView.as_view(), name="entity_list"),
    path("figures/", views.figures, name="figures"),
    path("entities/export/", views.entity_export, name="entity_export"),
    path("entities/new/", views.EntityFormView.as_view(), name="entity_create"),
    path("entities/<int:pk>/", views.EntityDetailView.as_view(), name="entity_detail"),
    path("entities/<int:pk>/edit/", views.EntityFormView.as_view(), name="entity_update"),
    path("entities/<int:pk>/visit/", views.EntityVisitCreateView.as_view(), name="entity_visit"),
    path("results/", views.ResultListView.as_view(), name="result_list"),
    path("results/export/", views.result_export, name="result_export"),
    path("results/import/", views.ResultImportView.as_view(), name="result_import"),
    path("results/new/", views.ResultFormView.as_view(), name="result_create"),
    path("results/<int:pk>/", views.result_workspace, name="result_detail"),
    path("results/<int:pk>/edit/", views.ResultFormView.as_view(), name="result_update"),
    path("results/<int:pk>/move/", views.result_move, name="result_move"),
    path("results/<int:pk>/propose/", views.match_propose, name="match_propose"),
    path("matches/", views.MatchListView.as_view(), name="match_list"),
    path("matches/export/", views.match_export, name="match_export"),
    path("matches/<int:pk>/move/", views.match_move, name="match_move"),
    path("carriers/", views.CarrierListView.as_view(), name="carrier_list"),
    path("carriers/export/", views.carrier_export, name="carrier_export"),
    path("carriers/import/", views.CarrierImportView.as_view(), name="carrier_import"),
    path("carriers/new/", views.CarrierFormView.as_view(), name="carrier_create"),
    path("carriers/<int:pk>/edit/", views.CarrierFormView.as_view(), name="carrier_update"),
]
