"""Reads of the geographic referential: find a commune from what a person types (INSEE code,
postcode, name), suggestions while typing, and the zone codes a commune belongs to.

The referential is public data: no permission scope applies. Names are compared with
geo.normalise_name (accents, case, punctuation, "St"/"Saint"); SQL narrows the candidates with an
anchored regular expression built from the first letters of the query, accents included, and Python
compares the keys of the few rows it returns, so that a full-France table (~35,000 communes) costs
one indexed-free but cheap scan, never a Python loop over every commune."""

import re

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from . import geo
from .models import Commune

# Accented and upper-case variants of each letter, so that the SQL pre-filter needs neither the
# unaccent extension nor a case-insensitive collation.
_VARIANTS = {
    "a": "aàâäáãåAÀÂÄÁÃÅ",
    "c": "cçCÇ",
    "e": "eéèêëEÉÈÊË",
    "i": "iîïíìIÎÏÍÌ",
    "n": "nñNÑ",
    "o": "oôöóòõOÔÖÓÒÕ",
    "u": "uûüùúUÛÜÙÚ",
    "y": "yÿYŸ",
}
# Anything normalise_name turns into a word break.
_SEPARATOR = r"[^0-9A-Za-zÀ-ÖØ-öø-ÿŒœ]+"
# normalise_name expands La Poste's abbreviations; a stored name may still use them.
_ABBREVIATED = {"saint": "st", "sainte": "ste", "saints": "sts", "saintes": "stes"}
# Letters of the query used by the SQL pre-filter (beyond a leading Saint/Sainte).
_PREFIX_LETTERS = 4

_POSTCODE = re.compile(r"[0-9]{5}")
_QUALIFIED = re.compile(r"^(?P<name>.*?)[\s,]*\((?P<code>[0-9AB]{2,5})\)\s*$|^(?P<pc>[0-9]{5})\s+(?P<rest>.+)$", re.I)


def _letter_class(char: str) -> str:
    variants = _VARIANTS.get(char, char + char.upper() if char.isalpha() else char)
    return "[" + variants + "]"


def _word_regex(word: str) -> str:
    # "oe" and "ae" may be written with a ligature ("Œuilly").
    pattern = ""
    index = 0
    while index < len(word):
        pair = word[index : index + 2]
        if pair == "oe":
            pattern += "([oO][eE]|[œŒ])"
            index += 2
        elif pair == "ae":
            pattern += "([aA][eE]|[æÆ])"
            index += 2
        else:
            pattern += _letter_class(word[index])
            index += 1
    return pattern


def _name_prefix_regex(key: str) -> str:
    """An anchored PostgreSQL regular expression matching every name whose normalised key starts
    with the first letters of `key` (an already normalised name)."""
    parts: list[str] = []
    letters = 0
    for word in key.split():
        if letters >= _PREFIX_LETTERS:
            break
        if word in _ABBREVIATED:
            # Too common to narrow anything: matched whole, in both spellings, without counting.
            parts.append(f"({_word_regex(word)}|{_word_regex(_ABBREVIATED[word])})")
            continue
        taken = word[: _PREFIX_LETTERS - letters]
        letters += len(taken)
        parts.append(_word_regex(taken))
    return "^" + _SEPARATOR.join(parts) if parts else "^"


def _communes() -> QuerySet[Commune]:
    """Communes with what a search around them reads next (département, EPCI): one query, not three."""
    return Commune.objects.select_related("departement", "epci")


def _by_name(key: str, queryset: QuerySet[Commune] | None = None) -> list[Commune]:
    """Communes whose normalised name equals `key`, by INSEE code (homonyms: lowest code first)."""
    base = queryset if queryset is not None else _communes()
    rows = base.filter(name__regex=_name_prefix_regex(key)).order_by("insee_code")
    return [commune for commune in rows if geo.normalise_name(commune.name) == key]


def with_postcode(queryset: QuerySet[Commune], postcode: str) -> QuerySet[Commune]:
    """Communes served by a postcode. The JSON list is matched as text ('"44000"' inside
    '["44000", "44100"]'): the same SQL on PostgreSQL and on the demo's SQLite, where JSON
    containment does not exist. `postcode` is five digits, so it cannot match anything else."""
    return queryset.annotate(postcodes_text=Cast("postcodes", output_field=TextField())).filter(
        postcodes_text__contains=f'"{postcode}"'
    )


def _by_postcode(postcode: str) -> QuerySet[Commune]:
    return with_postcode(_communes(), postcode).order_by("name", "insee_code")


def find_commune(query: str) -> Commune | None:
    """The commune a person means by `query`, or None. Tried in this order:

    1. an INSEE code ("44109"), then a postcode ("44000"): a five-digit query that is a valid INSEE
       code is read as one first — the data·inclusion formats and the API carry INSEE codes;
       when a postcode serves several communes, the first by name is returned;
    2. a postcode followed by a name ("44800 Saint-Herblain") or a name followed by a postcode or a
       département in brackets ("Saint-Herblain (44800)", which is how a commune is displayed, or
       "Sainte-Luce-sur-Loire (44)");
    3. a name, compared accent-, case- and punctuation-insensitively ("ST HERBLAIN"); among
       homonyms (Saint-Denis…) the lowest INSEE code is returned: qualify the name to choose."""
    text = query.strip()
    if not text:
        return None
    if _POSTCODE.fullmatch(text) or geo.is_valid_insee_commune_code(text.upper()):
        commune = _communes().filter(pk=text.upper()).first()
        return commune or _by_postcode(text).first()
    qualified = _QUALIFIED.match(text)
    if qualified:
        name = qualified.group("name") if qualified.group("name") is not None else qualified.group("rest")
        code = (qualified.group("code") or qualified.group("pc")).upper()
        key = geo.normalise_name(name)
        if not key:
            return None
        if _POSTCODE.fullmatch(code):
            scoped = with_postcode(_communes(), code)
        else:
            scoped = _communes().filter(departement_id=code.zfill(2) if len(code) == 1 else code)
        matches = _by_name(key, scoped)
        return matches[0] if matches else None
    key = geo.normalise_name(text)
    if not key:
        return None
    matches = _by_name(key)
    return matches[0] if matches else None


def commune_suggestions(query: str, limit: int = 10) -> list[Commune]:
    """Communes for an autocomplete: by INSEE code or postcode prefix when the query is digits
    (at least two), otherwise by name: exact key first, then names whose key starts with the
    query's, each group by name."""
    text = query.strip()
    if limit <= 0 or not text:
        return []
    compact = text.replace(" ", "")
    if compact.isdigit() or geo.is_valid_insee_commune_code(compact.upper()):
        if len(compact) < 2:
            return []
        prefix = compact.upper()
        # Postcodes begin with the département number in nearly every case, so the département
        # narrows the rows scanned in Python.
        departement = prefix[:3] if prefix.startswith(("97", "98")) else prefix[:2]
        rows = Commune.objects.filter(departement__code__startswith=departement).order_by("name", "insee_code")
        return [c for c in rows if c.insee_code.startswith(prefix) or any(p.startswith(prefix) for p in c.postcodes)][
            :limit
        ]
    key = geo.normalise_name(text)
    if not key:
        return []
    exact: list[Commune] = []
    starting: list[Commune] = []
    for commune in Commune.objects.filter(name__regex=_name_prefix_regex(key)).order_by("name", "insee_code"):
        commune_key = geo.normalise_name(commune.name)
        if commune_key == key:
            exact.append(commune)
        elif commune_key.startswith(key):
            starting.append(commune)
    return (exact + starting)[:limit]


# The zone d'éligibilité of data·inclusion uses INSEE codes; "99100" is the COG code of France.
FRANCE_ZONE_CODES = frozenset({"france", "99100"})


def zone_codes_for_commune(commune: Commune) -> set[str]:
    """Every zone code a service may use to cover this commune: its INSEE code, its département,
    the département's région, its EPCI (SIREN) if any, and the national codes. Costs one query for
    the département unless it was selected with the commune."""
    codes = {commune.insee_code, commune.departement_id, commune.departement.region_code, *FRANCE_ZONE_CODES}
    if commune.epci_id:
        codes.add(commune.epci_id)
    return codes
