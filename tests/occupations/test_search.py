import re
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from parcours.occupations.models import Appellation, RomeJob
from parcours.occupations.search import (
    SEARCH_MAX_CHARS,
    AppellationHit,
    normalise,
    query_error,
    search_appellations,
)
from tests.factories import RomeJobFactory

# --- normalise --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maçon / Maçonne", " macon maconne "),
        ("Aide-soignant / Aide-soignante", " aide soignant aide soignante "),
        ("AIDE-SOIGNANT", " aide soignant "),
        ("Chef d'œuvre  Cœur", " chef d oeuvre coeur "),
        ("Développeur·euse (H/F) 2.0", " developpeur euse h f 2 0 "),
        ("", " "),
        ("  !?  ", " "),
    ],
)
def test_normalise_examples(text, expected):
    assert normalise(text) == expected


@given(st.text())
def test_normalise_is_idempotent_framed_and_plain(text):
    key = normalise(text)
    assert normalise(key) == key
    assert key.startswith(" ") and key.endswith(" ")
    assert re.fullmatch(r"[a-z0-9 ]+", key)
    assert "  " not in key or key == " "


def reference_normalise(text: str) -> str:
    """The plain, character-by-character definition `normalise` speeds up."""
    text = text.translate(str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}))
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^0-9a-z]+", " ", bare).split()
    return " " + " ".join(words) + " " if words else " "


@given(st.text() | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF)))
def test_normalise_matches_its_definition(text):
    assert normalise(text) == reference_normalise(text)


# --- query_error ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Saisissez au moins 2 caractères."),
        ("a", "Saisissez au moins 2 caractères."),
        ("  é  ", "Saisissez au moins 2 caractères."),
        ("a" * 10_000, "La recherche est limitée à 100 caractères."),
        ("a" * (SEARCH_MAX_CHARS + 1), "La recherche est limitée à 100 caractères."),
        ("-- / !!", "Saisissez des lettres ou des chiffres."),
    ],
)
def test_query_error_messages(query, message):
    assert query_error(query) == message


@pytest.mark.parametrize("query", ["ma", "a" * SEARCH_MAX_CHARS, "J1501", "aide soignant"])
def test_query_error_accepts(query):
    assert query_error(query) is None


@pytest.mark.parametrize("query", ["a", "a" * 10_000, "?!", ";;;"])
def test_search_refuses_bad_query_in_french(db, query):
    with pytest.raises(ValidationError) as error:
        search_appellations(query)
    assert error.value.messages == [query_error(query)]


# --- search -----------------------------------------------------------------------------------


def appellation(code: int, label: str, rome: str = "J1501", **fields) -> Appellation:
    job = RomeJobFactory(code=rome, label=fields.pop("rome_label", f"Fiche {rome}"))
    return Appellation.objects.create(code=code, label=label, rome=job, search_text=normalise(label), **fields)


@pytest.fixture
def catalogue(db):
    appellation(1, "Aide-soignant / Aide-soignante", rome_label="Soins d'hygiène", is_principal=True)
    appellation(2, "Aide-soignant / Aide-soignante en gériatrie")
    appellation(3, "Aide à domicile", rome="K1302")
    appellation(4, "Maçon / Maçonne", rome="F1703", is_principal=True)
    appellation(5, "Maçon-coffreur / Maçonne-coffreuse", rome="F1703")
    appellation(6, "Développeur / Développeuse informatique", rome="M1805", is_principal=True)
    appellation(7, "Développeur / Développeuse web", rome="M1805")
    appellation(8, "Chef maçon / Cheffe maçonne", rome="F1703")


def codes(query: str, **kwargs) -> list[int]:
    return [hit.code for hit in search_appellations(query, **kwargs)]


def test_words_match_word_prefixes_in_any_order(catalogue):
    assert codes("aide soignant") == [1, 2]
    assert codes("soignante aide") == [1, 2]
    # All three start with "aide": the principal appellation first, then the shorter name.
    assert codes("aide") == [1, 3, 2]


def test_accents_and_punctuation_are_ignored(catalogue):
    assert codes("macon") == [4, 5, 8]
    assert codes("développeur") == [6, 7]
    assert codes("developpeu") == [6, 7]


def test_uppercase_query(catalogue):
    assert codes("AIDE-SOIGNANT") == [1, 2]
    assert codes("MAÇON") == [4, 5, 8]


def test_word_must_start_a_word(catalogue):
    # "oignant" is inside "soignant" but starts no word.
    assert codes("oignant") == []


def test_hit_fields(catalogue):
    RomeJob.objects.filter(code="J1501").update(is_regulated=True)
    hit = search_appellations("aide soignant")[0]
    assert hit == AppellationHit(
        code=1,
        label="Aide-soignant / Aide-soignante",
        rome_code="J1501",
        rome_label="Soins d'hygiène",
        regulated=True,
        rarely_used=False,
    )


def test_appellation_flag_overrides_sheet_regulation(db):
    appellation(1, "Infirmier / Infirmière", rome="J1506", is_regulated=False)
    assert search_appellations("infirmier")[0].regulated is False


def test_exact_name_comes_first(db):
    appellation(1, "Maçon VRD", rome="F1703", is_principal=True)
    appellation(2, "Maçon / Maçonne", rome="F1703")
    appellation(3, "Maçonne", rome="F1703")
    # "Maçonne" is exactly a name (the feminine form of #2 and the whole of #3).
    assert codes("maconne") == [3, 2]
    assert codes("macon") == [2, 1, 3]


def test_name_starting_with_query_before_word_inside(db):
    appellation(1, "Chef maçon", rome="F1703", is_principal=True)
    appellation(2, "Maçon du patrimoine", rome="F1703")
    assert codes("macon") == [2, 1]


def test_rarely_used_ranked_after(db):
    appellation(1, "Soudeur", rome="H2913", rarely_used=True)
    appellation(2, "Soudeur TIG", rome="H2913")
    appellation(3, "Soudeur MIG", rome="H2913", is_principal=True)
    hits = search_appellations("soudeur")
    assert [hit.code for hit in hits] == [1, 3, 2]  # exact name first even rarely used
    assert [hit.code for hit in search_appellations("soud")] == [3, 2, 1]
    assert hits[0].rarely_used


def test_not_in_release_excluded(db):
    appellation(1, "Dactylographe", rome="M1606", in_release=False)
    appellation(2, "Dactylographe secrétaire", rome="M1606")
    appellation(3, "Dactylographe mécanographe", rome="M1699")
    RomeJob.objects.filter(code="M1699").update(in_release=False)
    assert codes("dactylo") == [2]


def test_rome_code_query_lists_the_sheet(catalogue):
    assert codes("J1501") == [1, 2]
    assert codes(" f1703 ") == [4, 8, 5]  # principal first, then shorter
    assert codes("Z9999") == []


def test_limit(catalogue):
    assert codes("aide", limit=2) == [1, 3]


def test_search_is_one_query(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        search_appellations("aide soignant")
