import datetime

from parcours.directory.quality import is_stale, score

TODAY = datetime.date(2026, 6, 30)
LONG = "x" * 250


def complete(**overrides) -> dict:
    fields = {
        "nom": "Atelier",
        "description": LONG,
        "adresse": "1 rue de la Paix",
        "telephone": "0240000000",
        "courriel": "accueil@asso.fr",
        "lien_mobilisation": "",
        "modes_accueil": ["en-presentiel"],
        "modes_mobilisation": ["telephoner", "envoyer-un-courriel"],
        "mobilisable_par": ["professionnels"],
        "publics": ["femmes"],
        "thematiques": ["famille--garde-denfants"],
        "frais": "gratuit",
        "frais_precisions": "",
        "date_maj": TODAY,
    }
    fields.update(overrides)
    return fields


def codes_to_fix(quality) -> set[str]:
    return {criterion.code for criterion in quality.to_fix}


def test_complete_recent_service_scores_one():
    quality = score(complete(), today=TODAY)
    assert quality.score == 1.0
    assert quality.to_fix == []


def test_address_required_only_when_received_in_person():
    assert "adresse" in codes_to_fix(score(complete(adresse=""), today=TODAY))
    remote = score(complete(adresse="", modes_accueil=["a-distance"], modes_mobilisation=["telephoner"]), today=TODAY)
    assert "adresse" not in {c.code for c in remote.criteria}


def test_address_required_when_people_come_in_person():
    quality = score(
        complete(adresse="", modes_accueil=["a-distance"], modes_mobilisation=["se-presenter"]), today=TODAY
    )
    assert "adresse" in codes_to_fix(quality)


def test_phone_and_email_required_by_their_mobilisation_mode():
    quality = score(complete(telephone="", courriel=""), today=TODAY)
    assert {"telephone", "courriel", "contact"} <= codes_to_fix(quality)
    messages = " ".join(c.to_fix for c in quality.to_fix)
    assert "téléphone" in messages and "courriel" in messages


def test_mobilisation_half_when_one_of_two_is_missing():
    quality = score(complete(mobilisable_par=[], modes_mobilisation=[]), today=TODAY)
    mobilisation = next(c for c in quality.criteria if c.code == "mobilisation")
    assert mobilisation.value == 0.0
    one = next(c for c in score(complete(mobilisable_par=[]), today=TODAY).criteria if c.code == "mobilisation")
    assert one.value == 0.5 and "qui peut mobiliser" in one.to_fix


def test_description_length_steps():
    def value(text):
        return next(c.value for c in score(complete(description=text), today=TODAY).criteria if c.code == "description")

    assert value("x" * 10) == 0.0
    assert value("x" * 120) == 0.5
    assert value("x" * 200) == 1.0
    assert value("x" * 3000) == 0.5


def test_publics_and_thematiques_required():
    assert {"publics", "thematiques"} <= codes_to_fix(score(complete(publics=[], thematiques=[]), today=TODAY))


def test_paying_service_needs_details():
    assert "frais" in codes_to_fix(score(complete(frais="payant"), today=TODAY))
    assert "frais" not in codes_to_fix(score(complete(frais="payant", frais_precisions="5 €"), today=TODAY))


def test_freshness_steps():
    def value(days):
        return next(
            c.value
            for c in score(complete(date_maj=TODAY - datetime.timedelta(days=days)), today=TODAY).criteria
            if c.code == "fraicheur"
        )

    assert value(183) == 1.0
    assert value(184) == 0.5
    assert value(730) == 0.5
    assert value(731) == 0.0


def test_score_is_the_mean_of_applicable_criteria():
    # 9 applicable criteria (address, phone, email, mobilisation, contact, description, publics,
    # thématiques, frais, fraîcheur = 10); publics missing loses exactly one tenth.
    quality = score(complete(publics=[]), today=TODAY)
    assert len(quality.criteria) == 10
    assert quality.score == 0.9
    assert quality.percent == 90


def test_score_accepts_an_object_with_attributes():
    class Row:
        pass

    row = Row()
    for name, value in complete().items():
        setattr(row, name, value)
    assert score(row, today=TODAY).score == 1.0


def test_is_stale_after_183_days():
    assert not is_stale(TODAY - datetime.timedelta(days=183), TODAY)
    assert is_stale(TODAY - datetime.timedelta(days=184), TODAY)
    assert is_stale(None, TODAY)
