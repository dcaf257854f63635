"""Two sets of pages: the public enterprise side under /e/<token>/ (namespace `portal`), and the staff pages
that issue and revoke links, under an enterprise (namespace `contact_links`). jianbei/urls.py mounts both."""

from django.urls import path

from . import views

public = (
    [
        path("<str:token>/", views.home, name="home"),
        path("<str:token>/new/", views.submit, name="submit"),
        path("<str:token>/r/<int:pk>/", views.request_detail, name="request"),
        path("<str:token>/r/<int:pk>/rate/", views.rate, name="rate"),
    ],
    "portal",
)

staff = (
    [
        path("", views.link_list, name="list"),
        path("new/", views.link_issue, name="issue"),
        path("<int:pk>/revoke/", views.link_revoke, name="revoke"),
    ],
    "contact_links",
)
