from django.urls import path

from . import views

urlpatterns = [
    path("parcours/<int:pathway_id>/pistes/", views.pathway_recommendations, name="pathway_recommendations"),
    path("parcours/<int:pathway_id>/pistes/ecarter/", views.recommendation_dismiss, name="recommendation_dismiss"),
    path(
        "parcours/<int:pathway_id>/pistes/reafficher/<int:feedback_id>/",
        views.recommendation_restore,
        name="recommendation_restore",
    ),
    path(
        "parcours/<int:pathway_id>/pistes/metier/<str:code>/viser/",
        views.recommendation_job_target,
        name="recommendation_job_target",
    ),
    path("pistes/usage/", views.recommendation_usage, name="recommendation_usage"),
    path("pistes/correspondances/", views.theme_mapping, name="theme_mapping"),
]
