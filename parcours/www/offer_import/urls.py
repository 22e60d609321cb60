from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_list, name="offer_import_list"),
    path("<int:run_id>/", views.import_detail, name="offer_import_detail"),
    path("<int:run_id>/poursuivre/", views.import_continue, name="offer_import_continue"),
    path("export.json", views.offer_export, {"file_format": "json"}, name="offer_export_json"),
    path("export.csv", views.offer_export, {"file_format": "csv"}, name="offer_export_csv"),
]
