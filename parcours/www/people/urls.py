from django.urls import path

from . import views

urlpatterns = [
    path("personnes/recherche/", views.person_search, name="person_search"),
    path("personnes/nouvelle/", views.person_create, name="person_create"),
]
