from django.urls import path

from . import views

urlpatterns = [
    path("programmes/<slug:code>/affectations/", views.placement_home, name="placement_home"),
    path("programmes/<slug:code>/affectations/<int:batch_id>/", views.placement_batch, name="placement_batch"),
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
