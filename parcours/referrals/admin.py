from django.contrib import admin

from .models import Referral


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only, and without personal data: platform administrators see the flow of referrals
    (who sent what to which service, in which state), not the person nor the shared data."""

    list_display = ["id", "service", "recipient_organisation", "status", "sent_at", "due_at"]
    list_filter = ["status"]
    fields = [
        "service",
        "recipient_organisation",
        "status",
        "sent_at",
        "sla_days",
        "due_at",
        "status_changed_at",
        "answered_at",
        "refusal_reason",
        "outcome",
        "closed_at",
        "reminder_sent_at",
        "escalated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
