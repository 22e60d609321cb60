from django.urls import path

from . import views

urlpatterns = [
    path("programmes/inscriptions/<int:enrolment_id>/", views.enrolment_detail, name="enrolment_detail"),
    path(
        "programmes/inscriptions/<int:enrolment_id>/etapes/<int:step_id>/",
        views.enrolment_step_add,
        name="enrolment_step_add",
    ),
    path(
        "programmes/inscriptions/<int:enrolment_id>/certifications/",
        views.enrolment_certification_add,
        name="enrolment_certification_add",
    ),
    path(
        "programmes/inscriptions/<int:enrolment_id>/alternance/",
        views.enrolment_contract_add,
        name="enrolment_contract_add",
    ),
    path("programmes/inscriptions/<int:enrolment_id>/sortie/", views.enrolment_outcome, name="enrolment_outcome"),
    path("programmes/enquetes/", views.survey_todo, name="survey_todo"),
    path("programmes/enquetes/<int:survey_id>/", views.survey_answer, name="survey_answer"),
]
