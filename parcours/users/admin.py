from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from parcours.audit.admin import AuditedAdminMixin

from .models import User


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    pass
