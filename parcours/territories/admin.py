from django.contrib import admin

from .models import Commune, Departement


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region_code"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee_code", "name", "departement"]
    search_fields = ["insee_code", "name"]
    list_filter = ["departement"]
