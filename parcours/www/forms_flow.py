"""What every professional page does with a form, a service and a long list, written once:
show a service's errors on the form, turn a refusal into a 403 page, run "valid form → service →
message and redirect", and paginate."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def add_service_errors(form: forms.Form, exc: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: next to the field it names when the form has
    that field (`aliases` maps a service key to a form field), at the top of the form otherwise."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        field = aliases.get(key, key)
        form.add_error(field if field in form.fields else None, [m for e in errors for m in e.messages])


def refusal_message(exc: PermissionDenied) -> str:
    return str(exc.args[0]) if exc.args else _("Vous n'avez pas le droit de faire cette action.")


def submit_form(
    request,
    form: forms.Form,
    save: Callable[[dict], object],
    *,
    success: str,
    next_url: str,
    aliases: dict[str, str] | None = None,
) -> tuple[HttpResponse | None, int]:
    """On a POST with a valid form, call `save(cleaned_data)` (a service). Returns (redirect, 200)
    on success; otherwise (None, status) and the page is shown again: 200 with the service's
    errors on the form, 403 with its refusal at the top of the form. Nothing is written on error
    (services are atomic)."""
    if request.method != "POST" or not form.is_valid():
        return None, 200
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc, aliases=aliases)
        return None, 200
    except PermissionDenied as exc:
        form.add_error(None, refusal_message(exc))
        return None, 403
    messages.success(request, success)
    return redirect(next_url), 200


def paginate(request, queryset, size: int) -> Page:
    """The requested page (an invalid or out-of-range number gives the first or last page), with
    what `includes/pagination.html` needs: `page_range` (with ellipses) and `extra_query` (the
    other query parameters, kept on every page link)."""
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    page.page_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    others = request.GET.copy()
    others.pop("page", None)
    page.extra_query = f"&{others.urlencode()}" if others else ""
    return page
