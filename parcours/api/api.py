"""The partner API, version 1, mounted at /api/v1/.

Authentication: `Authorization: Bearer <jeton>`, one token per partner organisation (created with
`manage.py api_token_create`, revoked with `api_token_revoke` or from the admin). The OpenAPI document
is served at /api/v1/openapi.json; the interactive documentation page is disabled because it loads
its scripts from a CDN, which the Content-Security-Policy forbids."""

from ninja import NinjaAPI

from .auth import TokenAuth
from .errors import install_error_handlers
from .v1.directory import router as directory_router

api = NinjaAPI(
    title="Parcours — API partenaires",
    version="1.0.0",
    description=(
        "Lecture de l'offre d'insertion du territoire au format data·inclusion v1. "
        "Authentification : en-tête `Authorization: Bearer <jeton>` (un jeton par organisation partenaire). "
        "Pagination par curseur : suivez `next_cursor` jusqu'à ce qu'il vaille null. "
        'Erreurs : `{"detail": "<message>"}` (400 paramètre invalide, 401 jeton absent, inconnu ou révoqué, '
        "404 introuvable)."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    openapi_url="/openapi.json",
    docs_url=None,
)
install_error_handlers(api)
api.add_router("/", directory_router)
