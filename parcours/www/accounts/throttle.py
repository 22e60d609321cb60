"""Login throttling: count failures per username and per client address in the cache; past the
limit, refuse further attempts (even correct ones) until the window ends."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _digest(value: str) -> str:
    # Hashed: any username (spaces, control characters, 10,000 characters) makes a valid cache key.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _user_key(username: str) -> str:
    return f"login-fail:user:{_digest(username.strip().lower())}"


def _keys(username: str, address: str) -> list[str]:
    return [_user_key(username), f"login-fail:addr:{_digest(address)}"]


def client_address(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT reverse proxies, it is the address the
    first trusted proxy saw, read from the right of X-Forwarded-For (what the client wrote on the
    left cannot be trusted)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def is_locked(username: str, address: str) -> bool:
    return any((cache.get(key) or 0) >= settings.LOGIN_MAX_FAILURES for key in _keys(username, address))


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def reset(username: str) -> None:
    cache.delete(_user_key(username))
