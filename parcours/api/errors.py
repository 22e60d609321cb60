"""The API's error answers: always `{"detail": "<message en français>"}`. Ninja's own answers
(422 for parameters that do not parse, 401, 404) are rewritten: a parameter that makes no sense is a
400 for the partner, whatever layer noticed it."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from parcours.directory.records import PYDANTIC_MESSAGES

# What pydantic says about a query parameter, in French (on top of the records' messages).
PARAMETER_MESSAGES = {
    **PYDANTIC_MESSAGES,
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "less_than_equal": "valeur trop grande",
    "less_than": "valeur trop grande",
    "greater_than": "valeur trop petite",
    "finite_number": "nombre fini attendu",
    "json_invalid": "JSON invalide",
    "model_attributes_type": "objet attendu",
    "dict_type": "objet attendu",
}


class BadRequest(HttpError):
    """A parameter that makes no sense: 400 with a French message."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFound(HttpError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


def _location(loc: Any) -> str:
    # Ninja prefixes the place of the parameter ("query", "path", "body") and the schema's name.
    parts = [str(part) for part in loc if not isinstance(part, int)]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie", "form"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"filters", "params", "payload"}:
        parts = parts[1:]
    return ".".join(parts) or "requête"


def french_validation_messages(errors: list[dict[str, Any]]) -> list[str]:
    messages = []
    for error in errors:
        message = PARAMETER_MESSAGES.get(error.get("type", ""), "valeur invalide")
        value = error.get("input")
        if isinstance(value, str | int | float) and not isinstance(value, bool) and error.get("type") != "missing":
            message += f" : « {str(value)[:80]} »"
        messages.append(f"{_location(error.get('loc', ()))} : {message}")
    return list(dict.fromkeys(messages))


def install_error_handlers(api: NinjaAPI) -> None:
    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        detail = _("Paramètres invalides : %(errors)s.") % {
            "errors": " ; ".join(french_validation_messages(list(exc.errors)))
        }
        return api.create_response(request, {"detail": detail}, status=400)

    def authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else ""
        detail = message or _(
            "Authentification requise : ajoutez l'en-tête « Authorization: Bearer <jeton> » à la requête."
        )
        response = api.create_response(request, {"detail": detail}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": _("Ressource introuvable.")}, status=404)

    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(Http404, not_found)
