from django.urls import path

from . import views

urlpatterns = [
    path("accompagnements/", views.caseload, name="caseload"),
    path("orientations/", views.orientation_queue, name="orientation_queue"),
    path("structure/personnes-suivies/", views.structure_followed, name="structure_followed"),
    path("territoire/", views.territory_dashboard, name="territory_dashboard"),
]
