from django.contrib import admin

from .models import AuditAction, AuditEntry
from .services import audit_log


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Platform administrators see who did what and when, not about whom: the person, the fields
    and the free-text reason stay out of the admin (a person's data needs a break-glass access)."""

    list_display = ["at", "actor", "organisation", "action", "object_type"]
    list_filter = ["action"]
    fields = ["at", "actor", "organisation", "action", "object_type", "prev_hash", "hash"]
    readonly_fields = fields

    # The log is append-only: nobody edits or deletes it, not even from the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Admin changes to who-may-see-what (organisations, memberships, grants, accounts) go into
    the audit chain like any other write."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = list(form.changed_data) if form is not None else []
        changed = [f for f in changed if "password" not in f]
        audit_log(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            fields=changed,
            reason="admin",
        )

    def delete_model(self, request, obj):
        audit_log(actor=request.user, action=AuditAction.UPDATE, obj=obj, fields=["deleted"], reason="admin")
        super().delete_model(request, obj)
