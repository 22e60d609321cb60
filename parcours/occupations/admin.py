from django.contrib import admin

from .models import RomeJob


@admin.register(RomeJob)
class RomeJobAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_regulated"]
    search_fields = ["code", "label"]
