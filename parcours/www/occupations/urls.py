from django.urls import path

from . import views

urlpatterns = [
    path("metiers/", views.job_search, name="job_search"),
    path("metiers/suggestions/", views.appellation_suggest, name="appellation_suggest"),
    path("metiers/domaines/", views.domain_levels, name="domain_levels"),
    path("metiers/referentiel/", views.rome_releases, name="rome_releases"),
    path("metiers/<str:code>/", views.job_sheet, name="job_sheet"),
    path("parcours/<int:pathway_id>/metiers/ajouter/", views.job_wish_add, name="pathway_job_wish_add"),
    path(
        "parcours/<int:pathway_id>/metiers/<int:wish_id>/retirer/",
        views.job_wish_remove,
        name="pathway_job_wish_remove",
    ),
]
