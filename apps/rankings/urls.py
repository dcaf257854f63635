from django.urls import path

from . import meeting, views

app_name = "rankings"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("projector/", views.projector, name="projector"),
    path("publish/", views.publish, name="publish"),
    path("published/", views.published, name="published"),
    path("export/", views.export, name="export"),
    path("memo/<int:unit_id>/", views.memo, name="memo"),
    path("quality/", views.quality, name="quality"),
    path("pack/", meeting.pack, name="pack"),
    path("notice/", meeting.notice, name="notice"),
    path("notice.docx", meeting.notice_docx, name="notice_docx"),
]
