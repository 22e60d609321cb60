"""Accent- and case-insensitive search of ROME appellations. `normalise` is the one text form used
both to store `Appellation.search_text` and to read a query."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower-case, without accents or ligatures, punctuation as single spaces, framed by one space
    on each side: "Maçon / Maçonne" → " macon maconne "; "" → " "."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = _NOT_ALNUM.sub(" ", bare).split()
    return " " + " ".join(words) + " " if words else " "
