from django.contrib import admin

from .models import (
    Appellation,
    Mobility,
    ProfessionalDomain,
    ReleaseAppellation,
    ReleaseSheet,
    RomeJob,
    RomeRelease,
    SheetSkill,
    Skill,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the ROME import only (manage.py rome_import): browsed, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RomeRelease)
class RomeReleaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "version", "title", "status", "loaded_at", "switched_at", "duration_s"]
    list_filter = ["status"]
    readonly_fields = ["counts", "errors", "domains"]


@admin.register(ProfessionalDomain)
class ProfessionalDomainAdmin(admin.ModelAdmin):
    # The French level is edited on the platform's own page (with its audit trail), not here.
    list_display = ["code", "label", "grand_domain_code", "french_level"]
    search_fields = ["code", "label"]
    readonly_fields = [
        "code",
        "label",
        "grand_domain_code",
        "grand_domain_label",
        "french_level",
        "french_level_updated_at",
        "french_level_updated_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RomeJob)
class RomeJobAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "domain", "is_regulated", "in_release"]
    list_filter = ["in_release", "is_regulated"]
    search_fields = ["code", "label"]


@admin.register(Appellation)
class AppellationAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "rome", "is_principal", "rarely_used", "in_release"]
    list_filter = ["in_release", "is_principal"]
    search_fields = ["label", "rome__code"]
    list_select_related = ["rome"]


@admin.register(ReleaseSheet)
class ReleaseSheetAdmin(ReadOnlyAdmin):
    list_display = ["release", "code", "label", "domain_code", "is_regulated"]
    list_filter = ["release"]
    search_fields = ["code", "label"]


@admin.register(ReleaseAppellation)
class ReleaseAppellationAdmin(ReadOnlyAdmin):
    list_display = ["release", "code", "label", "rome_code"]
    list_filter = ["release"]
    search_fields = ["label", "rome_code"]


@admin.register(Skill)
class SkillAdmin(ReadOnlyAdmin):
    list_display = ["release", "code", "kind", "label", "category"]
    list_filter = ["release", "kind"]
    search_fields = ["label"]


@admin.register(SheetSkill)
class SheetSkillAdmin(ReadOnlyAdmin):
    list_display = ["release", "rome_code", "skill_code", "section", "role"]
    list_filter = ["release", "section", "role"]
    search_fields = ["rome_code"]


@admin.register(Mobility)
class MobilityAdmin(ReadOnlyAdmin):
    list_display = ["release", "source_code", "target_code", "order"]
    list_filter = ["release"]
    search_fields = ["source_code", "target_code"]
