from django.urls import path

from . import views

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("programmes/sessions/<int:session_id>/modifier/", views.session_edit, name="session_edit"),
    path(
        "programmes/sessions/<int:session_id>/candidature/<int:pathway_id>/",
        views.enrolment_propose,
        name="enrolment_propose",
    ),
    path(
        "programmes/inscriptions/<int:enrolment_id>/transition/<slug:action>/",
        views.enrolment_transition,
        name="enrolment_transition",
    ),
    path("programmes/<slug:code>/", views.programme_detail, name="programme_detail"),
    path("programmes/<slug:code>/sessions/nouvelle/", views.session_create, name="session_create"),
]
