from django.urls import path

from . import views

urlpatterns = [
    path("programmes/indicateurs/definitions/", views.indicator_definitions, name="indicator_definitions"),
    path(
        "programmes/indicateurs/definitions/<slug:indicator>/", views.indicator_definition, name="indicator_definition"
    ),
    path("programmes/sessions/<int:session_id>/indicateurs/", views.indicators_session, name="indicators_session"),
    path("programmes/<slug:code>/indicateurs/", views.indicators_programme, name="indicators_programme"),
    path(
        "programmes/<slug:code>/indicateurs/cohortes/<str:cohort>/", views.indicators_cohort, name="indicators_cohort"
    ),
    path("programmes/<slug:code>/indicateurs.csv", views.indicators_csv, name="indicators_csv"),
    path(
        "programmes/<slug:code>/indicateurs-publication.csv",
        views.indicators_publication,
        name="indicators_publication",
    ),
]
