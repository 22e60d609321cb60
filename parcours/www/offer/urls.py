from django.urls import path

from . import views

urlpatterns = [
    path("", views.offer_list, name="offer_list"),
    path("nouveau/", views.offer_create, name="offer_create"),
    path("structure/", views.offer_structure, name="offer_structure"),
    path("<int:service_id>/", views.offer_edit, name="offer_edit"),
    path("<int:service_id>/publier/", views.offer_publish, name="offer_publish"),
    path("<int:service_id>/archiver/", views.offer_archive, name="offer_archive"),
    path("<int:service_id>/places/", views.offer_capacity, name="offer_capacity"),
    path("doublons/", views.offer_duplicates, name="offer_duplicates"),
    path("doublons/<int:candidate_id>/decision/", views.offer_duplicate_decide, name="offer_duplicate_decide"),
]
