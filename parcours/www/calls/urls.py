from django.urls import path

from . import views

urlpatterns = [
    path("appels-a-projets/", views.call_list, name="call_list"),
    path("appels-a-projets/nouveau/", views.call_create, name="call_create"),
    path("appels-a-projets/<int:call_id>/", views.call_detail, name="call_detail"),
    path("appels-a-projets/<int:call_id>/projets/nouveau/", views.project_create, name="project_create"),
    path("appels-a-projets/projets/<int:project_id>/", views.project_detail, name="project_detail"),
    path("parcours/<int:pathway_id>/projets/", views.pathway_projects, name="pathway_projects"),
]
