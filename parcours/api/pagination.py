"""Keyset (cursor) pagination for the partner API.

Why keyset and not offset: partners page through the whole offer while imports and declarations
keep changing it. With `?page=3` (OFFSET 200), a row inserted or deleted before the current position
shifts every later row by one: the client then sees a row twice or never sees it. A cursor says
"the rows after primary key N": rows inserted meanwhile land after the cursor (new keys are larger)
and are read on a later page, deleted ones simply vanish, and nothing already read moves. It is also
cheaper: `WHERE id > N ORDER BY id LIMIT k` walks the primary key index instead of counting and
skipping OFFSET rows, so the last page costs what the first does.

The cursor is opaque to the client: the last primary key of the page, serialised in base64url and
signed (django.core.signing, salted per kind of record), so a tampered or forged cursor is refused
with a 400 rather than silently paging from an arbitrary place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.core import signing
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from .errors import BadRequest

DEFAULT_SIZE = 100
MAX_SIZE = 1000

M = TypeVar("M", bound=Model)


def _signer(kind: str) -> signing.Signer:
    return signing.Signer(salt=f"parcours.api.v1.cursor.{kind}")


def encode_cursor(kind: str, last_pk: int) -> str:
    return _signer(kind).sign_object(int(last_pk))


def decode_cursor(kind: str, cursor: str) -> int:
    try:
        value = _signer(kind).unsign_object(cursor)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        value = None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadRequest(_("cursor : curseur invalide ; reprenez la pagination depuis la première page."))
    return value


def check_size(size: int) -> int:
    if not 1 <= size <= MAX_SIZE:
        raise BadRequest(_("size : la taille de page doit être comprise entre 1 et %(max)s.") % {"max": MAX_SIZE})
    return size


def keyset_page(queryset: QuerySet[M], *, kind: str, size: int, cursor: str | None) -> tuple[Sequence[M], str | None]:
    """One page of `queryset` (ordered by primary key) after the cursor, and the cursor of the next
    page (None on the last one). One query: one row more than asked tells whether a next page exists."""
    check_size(size)
    if cursor:
        queryset = queryset.filter(pk__gt=decode_cursor(kind, cursor))
    rows = list(queryset.order_by("pk")[: size + 1])
    if len(rows) > size:
        rows = rows[:size]
        return rows, encode_cursor(kind, rows[-1].pk)
    return rows, None
