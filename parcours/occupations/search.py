"""Accent- and case-insensitive search of ROME appellations. `normalise` is the one text form used
both to store `Appellation.search_text` and to read a query."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from parcours.occupations.models import Appellation

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold_slow(text: str) -> str:
    """Ligatures spelt out, then compatibility decomposition without the combining marks."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# The same folding, precomputed for the Latin letters of French (and neighbours) so that the usual
# label needs one C-level `translate` instead of a Python loop over its characters: searching
# ranks a few hundred labels per query. Characters outside the table take the slow path.
# Only foldings that give ASCII are in the table, so a string still non-ASCII after it takes the slow
# path exactly as it would have without the table.
_FOLD = str.maketrans(
    {
        ch: folded
        for ch, folded in ((chr(code), _fold_slow(chr(code))) for code in range(0xA0, 0x250))
        if folded != ch and folded.isascii()
    }
)


def normalise(text: str) -> str:
    """Lower-case, without accents or ligatures, punctuation as single spaces, framed by one space
    on each side: "Maçon / Maçonne" → " macon maconne "; "" → " "."""
    bare = text.translate(_FOLD)
    if not bare.isascii():
        bare = _fold_slow(bare)
    words = _NOT_ALNUM.sub(" ", bare.lower()).split()
    return " " + " ".join(words) + " " if words else " "


SEARCH_MIN_CHARS = 2
SEARCH_MAX_CHARS = 100
# The query reads at most this many candidates, pre-sorted in SQL the same way as the final
# ranking, then ranks them in Python; a word as short as "ag" matches a few hundred appellations.
SEARCH_CANDIDATES = 300

_ROME_CODE_QUERY = re.compile(r"[A-Na-n][0-9]{4}")


@dataclass(frozen=True)
class AppellationHit:
    code: int
    label: str
    rome_code: str
    rome_label: str
    regulated: bool
    rarely_used: bool


def query_error(query: str) -> str | None:
    """Why `query` cannot be searched (French), or None."""
    text = (query or "").strip()
    if len(text) > SEARCH_MAX_CHARS:
        return _("La recherche est limitée à %(max)d caractères.") % {"max": SEARCH_MAX_CHARS}
    if len(text) < SEARCH_MIN_CHARS:
        return _("Saisissez au moins %(min)d caractères.") % {"min": SEARCH_MIN_CHARS}
    key = normalise(text).strip()
    if not key:
        return _("Saisissez des lettres ou des chiffres.")
    if len(key) < SEARCH_MIN_CHARS:
        return _("Saisissez au moins %(min)d caractères.") % {"min": SEARCH_MIN_CHARS}
    return None


@functools.lru_cache(maxsize=32_768)
def _forms(label: str, short_label: str) -> frozenset[str]:
    """The normalised ways an appellation is named: the whole label, each gendered form of
    "Maçon / Maçonne", and the short label."""
    parts = [label, short_label, *label.split("/"), *short_label.split("/")]
    return frozenset(form for form in map(normalise, set(parts)) if form != " ")


@functools.lru_cache(maxsize=32_768)
def _folded(label: str) -> str:
    return normalise(label)


def search_appellations(query: str, *, limit: int = 20) -> list[AppellationHit]:
    """Appellations of the current release matching `query`: every word of the query must start a
    word of the appellation (accents, case and punctuation ignored), or the query is a ROME code
    ("J1501") and the sheet's appellations are returned. Ranked: exact name, name starting with
    the query, principal appellation, not rarely used, shorter, alphabetical.
    Raises ValidationError (French message) when the query is too short, too long or has no letter."""
    error = query_error(query)
    if error is not None:
        raise ValidationError(error, code="invalid")
    text = query.strip()
    key = normalise(text)
    rows = Appellation.objects.filter(in_release=True, rome__in_release=True)
    if _ROME_CODE_QUERY.fullmatch(text):
        rows = rows.filter(rome_id=text.upper())
        prefix: Case | Value = Value(0)
    else:
        for word in dict.fromkeys(key.split()):
            rows = rows.filter(search_text__contains=" " + word)
        prefix = Case(When(search_text__startswith=key.rstrip(), then=Value(0)), default=Value(1))
    candidates = list(
        rows.annotate(prefix=prefix, label_length=Length("label"))
        .order_by("prefix", "-is_principal", "rarely_used", "label_length", "label")
        .values(
            "code",
            "label",
            "short_label",
            "rome_id",
            "rome__label",
            "is_regulated",
            "rome__is_regulated",
            "is_principal",
            "rarely_used",
        )[:SEARCH_CANDIDATES]
    )
    start = key.rstrip()

    def rank(row: dict[str, Any]) -> tuple:
        forms = _forms(row["label"], row["short_label"])
        return (
            key not in forms,
            not any(form.startswith(start) for form in forms),
            not row["is_principal"],
            row["rarely_used"],
            len(row["label"]),
            _folded(row["label"]),
            row["code"],
        )

    candidates.sort(key=rank)
    return [
        AppellationHit(
            code=row["code"],
            label=row["label"],
            rome_code=row["rome_id"],
            rome_label=row["rome__label"],
            regulated=bool(row["is_regulated"] if row["is_regulated"] is not None else row["rome__is_regulated"]),
            rarely_used=row["rarely_used"],
        )
        for row in candidates[:limit]
    ]
