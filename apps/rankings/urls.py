from django.urls import path

from . import views

app_name = "rankings"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("projector/", views.projector, name="projector"),
    path("publish/", views.publish, name="publish"),
    path("published/", views.published, name="published"),
    path("export/", views.export, name="export"),
    path("memo/<int:unit_id>/", views.memo, name="memo"),
]
