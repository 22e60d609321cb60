from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken
from .services import create_token, revoke_token


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["organisation", "label"]

    def clean_organisation(self):
        organisation = self.cleaned_data["organisation"]
        if organisation is not None and not organisation.is_active:
            raise forms.ValidationError(_("Cette organisation est désactivée : impossible de lui créer un jeton."))
        return organisation


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or by `api_token_create` (the key is shown once), revoked, never
    edited nor deleted (the history of who could read the API stays). The key's hash never shows."""

    list_display = ["prefix", "label", "organisation", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "label", "organisation__name"]
    list_select_related = ["organisation", "created_by"]
    readonly_fields = ("prefix", "organisation", "label", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["organisation", "label"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = create_token(
            organisation=form.cleaned_data["organisation"], label=form.cleaned_data["label"], created_by=request.user
        )
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        messages.warning(
            request,
            _("Jeton créé. Copiez-le maintenant, il ne sera plus jamais affiché : %(key)s") % {"key": key},
        )

    def has_change_permission(self, request, obj=None):
        # The detail page is read-only; revocation goes through the action.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Révoquer les jetons sélectionnés"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("organisation"):
            revoke_token(token=token, revoked_by=request.user)
            count += 1
        self.message_user(
            request, ngettext("%(n)s jeton révoqué.", "%(n)s jetons révoqués.", count) % {"n": count}, messages.SUCCESS
        )
