"""The VAE pages: the pathway page, the opening form and the actions, for the follow-up group and
the operator centre; 404 for anyone else; bad input shows a French error and writes nothing."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.people.models import ForeignQualification
from parcours.programmes.enums import EnrolmentState, VaeAdmissibilityDecision
from parcours.programmes.models import Certification, VaePathway
from parcours.programmes.services_vae import vae_open
from tests.factories import MembershipFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff, vae_reference

TODAY = timezone.localdate()
ENROLLED_ON = TODAY - datetime.timedelta(days=90)
STATEMENT = (
    "De 2012 à 2020, cuisinier dans un restaurant à Alep : préparation des entrées froides et chaudes, "
    "cuisson des viandes et des légumes au poste chaud, desserts du jour ; gestion des commandes de "
    "produits frais et du nettoyage de la cuisine avec deux commis."
)


@pytest.fixture
def reference(db):
    return vae_reference()


@pytest.fixture
def referent(db):
    return MembershipFactory()


@pytest.fixture
def enrolment(db, referent):
    session = SessionFactory(programme=ProgrammeFactory(kind="vae", name="VAE primo-arrivants"))
    pathway = PathwayFactory(referent=referent, person=PersonFactory(first_name="Yasmine", last_name="Haddad"))
    return EnrolmentFactory(session=session, pathway=pathway, state=EnrolmentState.ENROLLED, enrolled_on=ENROLLED_ON)


@pytest.fixture
def vae(referent, enrolment, reference):
    return vae_open(
        membership=referent,
        enrolment=enrolment,
        certification=reference["cook"],
        route=reference["full"],
        admissibility="declarative",
        experience_statement=STATEMENT,
        accompaniment_hours_planned=24,
    )


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _detail(enrolment):
    return reverse("vae_detail", kwargs={"enrolment_id": enrolment.pk})


def _action(enrolment, action):
    return reverse("vae_action", kwargs={"enrolment_id": enrolment.pk, "action": action})


def _open_url(enrolment):
    return reverse("vae_open", kwargs={"enrolment_id": enrolment.pk})


def test_detail_shows_the_pathway_statement_and_next_action(login, referent, enrolment, vae):
    response = login(referent).get(_detail(enrolment))
    assert response.status_code == 200
    body = _text(response)
    assert "Cuisinier" in body and "RNCP34095" in body
    assert "De 2012 à 2020, cuisinier" in body
    assert "Recevabilité en attente de décision" in body
    assert "Préparer, cuire et dresser des plats au poste chaud" in body
    assert 'id="recevabilite"' in body and 'id="resultats"' not in body
    assert AuditEntry.objects.filter(object_type="programmes.enrolment:vae_detail", action="read").exists()


def test_detail_open_to_operator_staff(login, enrolment, vae):
    response = login(operator_staff(enrolment.session)).get(_detail(enrolment))
    assert response.status_code == 200


def test_detail_is_404_for_a_professional_outside(login, enrolment, vae):
    response = login(MembershipFactory()).get(_detail(enrolment))
    assert response.status_code == 404


def test_detail_is_404_for_a_programme_that_is_not_vae(login, referent):
    enrolment = EnrolmentFactory(
        pathway=PathwayFactory(referent=referent), state=EnrolmentState.ENROLLED, enrolled_on=ENROLLED_ON
    )
    assert login(referent).get(_detail(enrolment)).status_code == 404


def test_detail_without_vae_offers_to_open(login, referent, enrolment, reference):
    body = _text(login(referent).get(_detail(enrolment)))
    assert "Aucun parcours VAE ouvert" in body and _open_url(enrolment) in body


def test_open_form_lists_routes_blocs_and_the_persons_foreign_diplomas(login, referent, enrolment, reference):
    ForeignQualification.objects.create(person=enrolment.pathway.person, title="Diplôme de cuisine", country="SY")
    ForeignQualification.objects.create(person=PersonFactory(), title="Diplôme d'autrui", country="SY")
    body = _text(login(referent).get(_open_url(enrolment)))
    assert "Comparabilité d'un diplôme étranger" in body
    assert "Préparer, cuire et dresser des desserts de restaurant" in body
    assert "Diplôme de cuisine" in body and "Diplôme d'autrui" not in body


def test_open_posts_a_declarative_vae(login, referent, enrolment, reference):
    response = login(referent).post(
        _open_url(enrolment),
        {
            "certification": reference["cook"].pk,
            "route": reference["full"].pk,
            "admissibility": "declarative",
            "experience_statement": STATEMENT,
            "accompaniment_hours_planned": "20",
        },
    )
    assert response.status_code == 302
    vae = VaePathway.objects.get(enrolment=enrolment)
    assert vae.bloc_results.count() == 3


def test_open_declarative_without_statement_shows_the_error_and_writes_nothing(login, referent, enrolment, reference):
    response = login(referent).post(
        _open_url(enrolment),
        {
            "certification": reference["cook"].pk,
            "route": reference["full"].pk,
            "admissibility": "declarative",
            "experience_statement": "",
            "accompaniment_hours_planned": "20",
        },
    )
    assert response.status_code == 200
    assert "remplace les justificatifs" in _text(response)
    assert not VaePathway.objects.exists()


def test_open_by_blocs_with_a_bloc_of_another_certification_writes_nothing(login, referent, enrolment, reference):
    other = reference["aph"].blocs.first()
    response = login(referent).post(
        _open_url(enrolment),
        {
            "certification": reference["cook"].pk,
            "route": reference["blocs"].pk,
            "admissibility": "standard",
            "bloc_ids": [other.pk],
            "accompaniment_hours_planned": "10",
        },
    )
    assert response.status_code == 200
    assert "n'appartiennent pas" in _text(response)
    assert not VaePathway.objects.exists()


def test_open_is_404_for_a_professional_outside(login, enrolment, reference):
    response = login(MembershipFactory()).post(
        _open_url(enrolment),
        {"certification": reference["cook"].pk, "route": reference["full"].pk, "admissibility": "standard"},
    )
    assert response.status_code == 404
    assert not VaePathway.objects.exists()


def test_actions_run_from_admissibility_to_results(login, referent, enrolment, vae, reference):
    client = login(referent)
    decided = ENROLLED_ON + datetime.timedelta(days=5)
    jury = TODAY - datetime.timedelta(days=2)
    response = client.post(
        _action(enrolment, "recevabilite"), {"adm-decision": "admissible", "adm-decided_on": decided.isoformat()}
    )
    assert response.status_code == 302
    assert (
        client.post(_action(enrolment, "heures"), {"hrs-hours": "3", "hrs-done_on": TODAY.isoformat()}).status_code
        == 302
    )
    assert client.post(_action(enrolment, "jury"), {"jury-jury_date": jury.isoformat()}).status_code == 302
    blocs = list(reference["cook"].blocs.order_by("position"))
    data = {"res-decided_on": TODAY.isoformat()}
    data.update({f"res-bloc_{b.pk}": "validated" for b in blocs[:2]})
    data[f"res-bloc_{blocs[2].pk}"] = "not_validated"
    assert client.post(_action(enrolment, "resultats"), data).status_code == 302
    vae.refresh_from_db()
    assert vae.admissibility_decision == VaeAdmissibilityDecision.ADMISSIBLE
    assert vae.jury_date == jury
    assert Certification.objects.filter(enrolment=enrolment, exam="bloc").count() == 2
    body = _text(client.get(_detail(enrolment)))
    assert "validation partielle (CCP1, CCP2)" in body


def test_results_before_the_jury_date_show_an_error_and_write_nothing(login, referent, enrolment, vae, reference):
    client = login(referent)
    client.post(_action(enrolment, "recevabilite"), {"adm-decision": "admissible", "adm-decided_on": TODAY.isoformat()})
    client.post(_action(enrolment, "jury"), {"jury-jury_date": TODAY.isoformat()})
    bloc = reference["cook"].blocs.first()
    response = client.post(
        _action(enrolment, "resultats"),
        {"res-decided_on": (TODAY - datetime.timedelta(days=1)).isoformat(), f"res-bloc_{bloc.pk}": "validated"},
    )
    assert response.status_code == 200
    assert "précéder la date du jury" in _text(response)
    assert not Certification.objects.exists()


def test_jury_before_admissibility_shows_an_error(login, referent, enrolment, vae):
    response = login(referent).post(_action(enrolment, "jury"), {"jury-jury_date": TODAY.isoformat()})
    assert response.status_code == 200
    assert "recevabilité favorable" in _text(response)
    vae.refresh_from_db()
    assert vae.jury_date is None


def test_negative_hours_show_an_error_and_write_nothing(login, referent, enrolment, vae):
    response = login(referent).post(_action(enrolment, "heures"), {"hrs-hours": "-4", "hrs-done_on": TODAY.isoformat()})
    assert response.status_code == 200
    assert "négatif" in _text(response)
    vae.refresh_from_db()
    assert vae.accompaniment_hours_done == 0


def test_action_is_404_for_a_professional_outside(login, enrolment, vae):
    response = login(MembershipFactory()).post(
        _action(enrolment, "recevabilite"), {"adm-decision": "admissible", "adm-decided_on": TODAY.isoformat()}
    )
    assert response.status_code == 404
    vae.refresh_from_db()
    assert vae.admissibility_decision == VaeAdmissibilityDecision.PENDING


def test_unknown_action_is_404(login, referent, enrolment, vae):
    assert login(referent).post(_action(enrolment, "supprimer"), {}).status_code == 404
