from django.urls import path

from . import views

urlpatterns = [
    path("", views.directory_search, name="directory_search"),
    path("services/<int:service_id>/", views.directory_service, name="directory_service"),
]
