from django.urls import path

from . import views

urlpatterns = [
    path("", views.summary, name="pathway"),
    path("fiche/<str:section>/", views.person_edit, name="pathway_person_edit"),
    path("fiche/situation/enfants/ajouter/", views.child_add, name="pathway_child_add"),
    path("fiche/situation/enfants/<int:item_id>/retirer/", views.child_remove, name="pathway_child_remove"),
    path("fiche/situation/diplomes/ajouter/", views.qualification_add, name="pathway_qualification_add"),
    path(
        "fiche/situation/diplomes/<int:item_id>/retirer/",
        views.qualification_remove,
        name="pathway_qualification_remove",
    ),
    path("fiche/situation/experiences/ajouter/", views.experience_add, name="pathway_experience_add"),
    path(
        "fiche/situation/experiences/<int:item_id>/retirer/",
        views.experience_remove,
        name="pathway_experience_remove",
    ),
    path("groupe/", views.group, name="pathway_group"),
    path("groupe/referent/", views.referent_change, name="pathway_referent_change"),
    path("groupe/ajouter/", views.member_add, name="pathway_member_add"),
    path("groupe/<int:seat_id>/sortie/", views.member_end, name="pathway_member_end"),
    path("groupe/demandes/<int:request_id>/", views.join_request_decide, name="pathway_join_request_decide"),
    path("cloturer/", views.close, name="pathway_close"),
    path("orientation/", views.orientation, name="pathway_orientation"),
    path("historique/", views.timeline, name="pathway_timeline"),
    path("consentements/", views.consents, name="pathway_consents"),
    path("acces/", views.access_log, name="pathway_access_log"),
    path("imprimer/", views.print_summary, name="pathway_print"),
    path("acces-exceptionnel/", views.break_glass, name="pathway_break_glass"),
]
