from parcours.www.templatetags.parcours_names import country_name, language_names


def test_language_codes_are_shown_by_their_french_names():
    assert language_names(["prs", "fr"]) == "Dari, Français"


def test_unknown_codes_are_shown_as_they_are():
    assert language_names(["zzz"]) == "zzz"
    assert country_name("QQ") == "QQ"


def test_country_codes_are_shown_by_their_french_names():
    assert country_name("af") == "Afghanistan"
    assert country_name("") == ""
