"""`Authorization: Bearer <jeton>`: the partner's organisation token (see models.ApiToken)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .models import ApiToken
from .selectors import token_for_key


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = token_for_key(token.strip())
        if api_token is None:
            raise AuthenticationError(message=_("Jeton d'API inconnu ou révoqué."))
        return api_token
