from django.urls import path

from . import views

app_name = "investment"

urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("figures/", views.figures, name="figures"),
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("leads/export/", views.lead_export, name="lead_export"),
    path("leads/import/", views.LeadImportView.as_view(), name="lead_import"),
    path("leads/new/", views.LeadCreateView.as_view(), name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/move/", views.lead_move, name="lead_move"),
    path("leads/<int:pk>/record/", views.lead_record, name="lead_record"),
    path("trips/", views.TripListView.as_view(), name="trip_list"),
    path("trips/export/", views.trip_export, name="trip_export"),
    path("trips/new/", views.TripCreateView.as_view(), name="trip_create"),
    path("trips/<int:pk>/", views.trip_detail, name="trip_detail"),
]
