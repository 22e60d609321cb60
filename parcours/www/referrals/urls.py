from django.urls import path

from . import views

urlpatterns = [
    path("recues/", views.referral_inbox, name="referral_inbox"),
    path("envoyees/", views.referral_sent, name="referral_sent"),
    path("preferences/", views.notification_preferences, name="notification_preferences"),
    path("nouvelle/<int:pathway_id>/", views.referral_create, name="referral_create"),
    path("parcours/<int:pathway_id>/", views.pathway_referrals, name="pathway_referrals"),
    path("lien/<str:token>/", views.referral_link, name="referral_link"),
    path("<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("<int:referral_id>/<slug:action>/", views.referral_action, name="referral_action"),
]
