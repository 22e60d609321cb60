from django.urls import path

from . import views

urlpatterns = [
    path("diagnostic/", views.pathway_diagnostic, name="pathway_diagnostic"),
    path("diagnostic/nouveau/", views.pathway_diagnostic_new, name="pathway_diagnostic_new"),
    path("diagnostic/cir/", views.pathway_cir, name="pathway_cir"),
]
