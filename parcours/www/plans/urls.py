from django.urls import path

from . import views

urlpatterns = [
    path("plan/", views.pathway_plan, name="pathway_plan"),
    path("plan/objectifs/nouveau/", views.pathway_goal_new, name="pathway_goal_new"),
    path("plan/objectifs/<int:goal_id>/", views.pathway_goal_edit, name="pathway_goal_edit"),
    path("plan/objectifs/<int:goal_id>/actions/nouvelle/", views.pathway_action_new, name="pathway_action_new"),
    path("plan/actions/<int:action_id>/statut/", views.pathway_action_status, name="pathway_action_status"),
    path("plan/rendez-vous/nouveau/", views.pathway_appointment_new, name="pathway_appointment_new"),
    path(
        "plan/rendez-vous/<int:appointment_id>/statut/",
        views.pathway_appointment_status,
        name="pathway_appointment_status",
    ),
    path("plan/notes/nouvelle/", views.pathway_note_new, name="pathway_note_new"),
]
