from django.urls import path

from . import views

urlpatterns = [
    path("programmes/inscriptions/<int:enrolment_id>/vae/", views.vae_detail, name="vae_detail"),
    path("programmes/inscriptions/<int:enrolment_id>/vae/ouvrir/", views.vae_open, name="vae_open"),
    path("programmes/inscriptions/<int:enrolment_id>/vae/<slug:action>/", views.vae_action, name="vae_action"),
]
