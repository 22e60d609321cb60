from django.contrib import admin

from .models import Situation


@admin.register(Situation)
class SituationAdmin(admin.ModelAdmin):
    """The nomenclature is editable by platform administrators; deactivate rather than delete."""

    list_display = ["label", "theme", "code", "is_active", "position"]
    list_filter = ["theme", "is_active"]
    list_editable = ["is_active", "position"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None):
        return False
