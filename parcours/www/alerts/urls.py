from django.urls import path

from . import views

urlpatterns = [
    path("", views.to_handle, name="alerts_to_handle"),
    path("organisation/", views.organisation_counts, name="alerts_organisation"),
    path("territoire/", views.territory_counts, name="alerts_territory"),
]
