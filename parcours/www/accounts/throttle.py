"""Login throttling: count failures per username and per client address in the cache; past the
limit, refuse further attempts (even correct ones) until the window ends."""

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    return [f"login-fail:user:{username.strip().lower()}", f"login-fail:addr:{address}"]


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
    cache.delete(f"login-fail:user:{username.strip().lower()}")
