from django.contrib import admin

from parcours.audit.admin import AuditedAdminMixin

from .models import Membership, Organisation, TerritoryGrant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "departement", "is_active"]
    list_filter = ["kind", "departement"]
    search_fields = ["name", "siret"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]


@admin.register(TerritoryGrant)
class TerritoryGrantAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Grants are revoked (revoked_at), never deleted: the history of who could see what stays."""

    list_display = ["membership", "departement", "granted_at", "revoked_at"]
    readonly_fields = ["granted_by", "granted_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False
