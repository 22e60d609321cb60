from parcours.people.languages import LANGUAGE_NAMES, language_choices, language_name
from parcours.people.models import is_known_language


def test_every_language_offered_is_accepted_by_the_domain():
    assert [code for code in LANGUAGE_NAMES if not is_known_language(code)] == []


def test_language_name_is_french_and_falls_back_to_the_code():
    assert language_name("prs") == "Dari"
    assert language_name("zz") == "zz"


def test_language_choices_start_with_french_and_keep_recorded_unknown_codes():
    choices = language_choices(extra=("sdh",))
    assert choices[1][0] == "fr"
    assert ("sdh", "sdh") in choices
