from django.urls import path

from . import views

urlpatterns = [
    path("<int:pathway_id>/demande/", views.request_new, name="orientation_request_new"),
    path("<int:pathway_id>/demandes/<int:request_id>/", views.request_decide, name="orientation_request_decide"),
]
