from django.urls import path

from . import views

urlpatterns = [
    path("programmes/<slug:code>/affectations/", views.placement_home, name="placement_home"),
    path("programmes/<slug:code>/affectations/nouvelle/", views.placement_batch_create, name="placement_batch_create"),
    path("programmes/<slug:code>/affectations/modele/", views.placement_model_train, name="placement_model_train"),
    path("programmes/<slug:code>/affectations/prix/", views.placement_prices_refresh, name="placement_prices_refresh"),
    path(
        "programmes/<slug:code>/affectations/fil-de-l-eau/<int:pathway_id>/",
        views.placement_online_place,
        name="placement_online_place",
    ),
    path("programmes/<slug:code>/affectations/<int:batch_id>/", views.placement_batch, name="placement_batch"),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/equilibrage/",
        views.placement_batch_balancing,
        name="placement_batch_balancing",
    ),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/calculer/",
        views.placement_batch_solve,
        name="placement_batch_solve",
    ),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/valider/",
        views.placement_batch_validate,
        name="placement_batch_validate",
    ),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/abandonner/",
        views.placement_batch_cancel,
        name="placement_batch_cancel",
    ),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/lignes/<int:line_id>/preferences/",
        views.placement_line_preferences,
        name="placement_line_preferences",
    ),
    path(
        "programmes/<slug:code>/affectations/<int:batch_id>/lignes/<int:line_id>/modifier/",
        views.placement_line_override,
        name="placement_line_override",
    ),
]
