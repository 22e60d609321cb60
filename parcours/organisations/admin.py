from django.contrib import admin

from .models import Membership, Organisation, TerritoryGrant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "departement", "is_active"]
    list_filter = ["kind", "departement"]
    search_fields = ["name", "siret"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]


@admin.register(TerritoryGrant)
class TerritoryGrantAdmin(admin.ModelAdmin):
    list_display = ["membership", "departement", "granted_at", "revoked_at"]
    readonly_fields = ["granted_by", "granted_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
