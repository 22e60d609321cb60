from django.urls import path

from . import views

urlpatterns = [
    path("programmes/declarer/", views.programme_declare, name="programme_declare"),
    path("programmes/<slug:code>/modifier/", views.programme_edit, name="programme_edit"),
    path("parcours/<int:pathway_id>/programmes/", views.pathway_programmes, name="pathway_programmes"),
    path(
        "parcours/<int:pathway_id>/programmes/<slug:code>/eligibilite/",
        views.eligibility_check,
        name="eligibility_check",
    ),
]
