from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.models import Membership
from parcours.www.middleware import SESSION_KEY

from . import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy("Identifiant ou mot de passe incorrect."),
        "inactive": gettext_lazy("Ce compte est désactivé."),
        "throttled": gettext_lazy("Trop de tentatives de connexion échouées. Réessayez dans quelques minutes."),
    }

    def clean(self):
        username = self.data.get("username", "")
        address = throttle.client_address(self.request) if self.request else ""
        if throttle.is_locked(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, address)
            audit_log(actor=None, action=AuditAction.LOGIN_FAILED, object_type="auth.login", reason=username[:150])
            raise
        throttle.reset(username)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
    extra_context = {"title": gettext_lazy("Se connecter")}

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=form.get_user(), action=AuditAction.LOGIN, object_type="auth.login")
        return response


@login_required
def home(request):
    if request.membership is None and request.user.is_superuser:
        return redirect("admin:index")
    return redirect("caseload")


@login_required
def switch_organisation(request):
    memberships = list(
        Membership.objects.active()
        .filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    if request.method == "POST":
        wanted = request.POST.get("membership")
        chosen = next((m for m in memberships if str(m.pk) == wanted), None)
        if chosen is None:
            messages.error(request, _("Choisissez une de vos organisations."))
        else:
            request.session[SESSION_KEY] = chosen.pk
            messages.success(request, _("Vous agissez désormais pour %(org)s.") % {"org": chosen.organisation.name})
            return redirect("caseload")
    return render(
        request,
        "accounts/switch.html",
        {
            "title": _("Changer d'organisation"),
            "memberships": memberships,
        },
    )


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "injoignable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
