from django.urls import path

from . import views

app_name = "figures"

urlpatterns = [
    path("service/", views.service_figures, name="service"),
    path("coverage/", views.coverage, name="coverage"),
    path("projects/", views.projects_overview, name="projects"),
    path("research/", views.research_overview, name="research"),
    path("investment/", views.investment_overview, name="investment"),
]
