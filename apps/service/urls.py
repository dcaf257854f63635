from django.urls import path

from .views import callbacks, figures, joint_actions, requests, supervision, visits

app_name = "service"

urlpatterns = [
    path("figures/", figures.service_figures, name="figures"),
    path("coverage/", figures.coverage, name="coverage"),
    path("visits/", visits.VisitListView.as_view(), name="visit_list"),
    path("visits/new/", visits.VisitCreateView.as_view(), name="visit_create"),
    path("visits/export/", visits.VisitExportView.as_view(), name="visit_export"),
    path("visits/<int:pk>/", visits.VisitDetailView.as_view(), name="visit_detail"),
    path("visits/assign/", visits.assign_visit, name="visit_assign"),
    path("visits/files/<int:pk>/", visits.visit_attachment, name="visit_attachment"),
    path("requests/", requests.RequestListView.as_view(), name="request_list"),
    path("requests/logged/", requests.LoggedRequestListView.as_view(), name="logged_requests"),
    path("requests/new/", requests.RequestCreateView.as_view(), name="request_create"),
    path("requests/export/", requests.RequestExportView.as_view(), name="request_export"),
    path("requests/<int:pk>/", requests.RequestDetailView.as_view(), name="request_detail"),
    path("requests/<int:pk>/act/", requests.request_act, name="request_act"),
    path("requests/<int:pk>/supervise/", supervision.supervise, name="supervision_create"),
    path("supervisions/<int:pk>/answer/", supervision.supervision_answer_view, name="supervision_answer"),
    path("callbacks/", callbacks.callback_list, name="callback_list"),
    path("callbacks/<int:pk>/record/", callbacks.callback_record, name="callback_record"),
    path("requests/<int:pk>/attachments/", requests.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", requests.attachment_download, name="attachment_download"),
    path("todo/", requests.my_todo, name="todo"),
    path("unit-todo/", requests.unit_todo, name="unit_todo"),
    path("dispatch/", requests.dispatch_desk, name="dispatch_desk"),
    path("dispatch/send/", requests.dispatch_many, name="dispatch_many"),
    path("notifications/", requests.notifications, name="notifications"),
    path("notifications/read/", requests.notifications_read, name="notifications_read"),
    path("joint-actions/", joint_actions.joint_action_list, name="jointaction_list"),
    path("joint-actions/new/", joint_actions.joint_action_create, name="jointaction_create"),
    path("joint-actions/<int:pk>/", joint_actions.joint_action_detail, name="jointaction_detail"),
    path("joint-actions/<int:pk>/close/", joint_actions.joint_action_close, name="jointaction_close"),
]
