"""A VAE pathway for a newcomer with declarative admissibility runs from its opening to a jury
result in headless Chromium, each page checked by axe-core."""

import datetime

import pytest
from django.utils import timezone

from parcours.programmes.enums import EnrolmentState
from parcours.programmes.models import Certification, TargetCertification, VaePathway, VaeRoute
from parcours.programmes.services_vae import vae_reference_load
from tests.factories import MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

TODAY = timezone.localdate()
STATEMENT = (
    "De 2014 à 2021, agent d'entretien dans une clinique à Hérat : nettoyage manuel des chambres et des "
    "couloirs, bionettoyage des sanitaires, conduite d'une autolaveuse dans le hall, tri des déchets de "
    "soins et tenue des fiches de traçabilité, en équipe de nuit avec trois collègues."
)


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes"),
    )


@pytest.fixture
def enrolment(counsellor):
    vae_reference_load()
    session = SessionFactory(programme=ProgrammeFactory(kind="vae", name="VAE pour les personnes primo-arrivantes"))
    pathway = PathwayFactory(
        referent=counsellor, person=PersonFactory(refugee=True, first_name="Farid", last_name="Noori")
    )
    return EnrolmentFactory(
        session=session,
        pathway=pathway,
        state=EnrolmentState.ENROLLED,
        enrolled_on=TODAY - datetime.timedelta(days=60),
    )


def test_declarative_vae_runs_from_opening_to_the_jury_result(page, axe_check, browser_login, counsellor, enrolment):
    aph = TargetCertification.objects.get(rncp_code="RNCP37274")
    route = VaeRoute.objects.get(code="titre-complet")
    browser_login(counsellor)

    page.goto(f"/programmes/inscriptions/{enrolment.pk}/vae/")
    axe_check(page, "vae-empty")
    page.get_by_role("link", name="Ouvrir le parcours VAE").click()
    page.wait_for_url("**/vae/ouvrir/")
    axe_check(page, "vae-open")
    page.get_by_label("Certification visée").select_option(str(aph.pk))
    page.locator(f"label[for=route-{route.pk}]").click()
    page.get_by_label("Recevabilité dérogatoire déclarative (sans justificatifs)").check(force=True)
    page.get_by_label("Déclaration d'expérience de la personne").fill(STATEMENT)
    page.get_by_label("Heures d'accompagnement prévues").fill("24")
    page.get_by_role("button", name="Ouvrir le parcours VAE").click()
    page.wait_for_url(f"**/inscriptions/{enrolment.pk}/vae/")
    assert page.locator("#vae-stage").text_content() == "Recevabilité en attente de décision"
    assert "bionettoyage des sanitaires" in page.locator("#vae-statement").inner_text()
    axe_check(page, "vae-opened")

    decided = TODAY - datetime.timedelta(days=30)
    page.get_by_label("Recevable", exact=True).check(force=True)
    page.get_by_label("Date de la décision").fill(decided.isoformat())
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url("**/vae/#recevabilite")
    page.get_by_label("Heures réalisées").fill("6")
    page.get_by_label("Date de l'accompagnement").fill(TODAY.isoformat())
    page.get_by_role("button", name="Ajouter les heures").click()
    page.wait_for_url("**/vae/#heures")
    jury = TODAY - datetime.timedelta(days=3)
    page.get_by_label("Date du jury").fill(jury.isoformat())
    page.get_by_role("button", name="Enregistrer la date du jury").click()
    page.wait_for_url("**/vae/#jury")
    assert page.locator("#vae-stage").text_content() == f"Jury programmé le {jury:%d/%m/%Y}"
    axe_check(page, "vae-jury")

    page.get_by_label("Date de la délibération du jury").fill(TODAY.isoformat())
    for bloc in aph.blocs.all():
        page.locator(f"input[name=res-bloc_{bloc.pk}][value=validated]").check(force=True)
    page.get_by_role("button", name="Enregistrer les résultats").click()
    page.wait_for_url("**/vae/#resultats")
    assert page.locator("#vae-stage").text_content() == "Résultat : validation totale des blocs visés"
    axe_check(page, "vae-result")

    vae = VaePathway.objects.get(enrolment=enrolment)
    assert vae.accompaniment_hours_done == 6
    cert = Certification.objects.get(enrolment=enrolment)
    assert (cert.exam, cert.obtained_on) == ("titre_pro", jury)
