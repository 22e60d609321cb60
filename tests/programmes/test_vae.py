"""VAE pathways: reference data, opening with declarative admissibility, admissibility, hours,
jury and results per bloc, the certifications they write, the refusals and the bad input."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.models import ForeignQualification
from parcours.programmes import services_vae
from parcours.programmes.enums import (
    BlocResult,
    CertificationExam,
    EnrolmentState,
    VaeAdmissibility,
    VaeAdmissibilityDecision,
)
from parcours.programmes.models import (
    Certification,
    CompetenceBloc,
    TargetCertification,
    VaeBlocResult,
    VaePathway,
    VaeRoute,
)
from parcours.programmes.services_vae import (
    VaeStage,
    vae_admissibility_decide,
    vae_bloc_results_record,
    vae_hours_record,
    vae_jury_schedule,
    vae_open,
    vae_reference_load,
    vae_status,
)
from tests.factories import MembershipFactory, PathwayFactory, PersonFactory, RomeJobFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff, vae_reference

TODAY = timezone.localdate()
ENROLLED_ON = TODAY - datetime.timedelta(days=120)
STATEMENT = (
    "J'ai travaillé six ans comme agent d'entretien dans un hôpital à Kaboul : nettoyage des chambres, "
    "des blocs et des couloirs, désinfection des surfaces, tri des déchets, utilisation d'une autolaveuse. "
    "J'encadrais deux collègues le soir et je tenais le cahier de traçabilité."
)


@pytest.fixture
def reference(db):
    return vae_reference()


@pytest.fixture
def referent(db):
    return MembershipFactory()


@pytest.fixture
def enrolment(db, referent):
    session = SessionFactory(programme=ProgrammeFactory(kind="vae"))
    pathway = PathwayFactory(referent=referent, person=PersonFactory(refugee=True))
    return EnrolmentFactory(session=session, pathway=pathway, state=EnrolmentState.ENROLLED, enrolled_on=ENROLLED_ON)


def _open(referent, enrolment, reference, **kwargs):
    params = {
        "membership": referent,
        "enrolment": enrolment,
        "certification": reference["aph"],
        "route": reference["full"],
        "admissibility": VaeAdmissibility.DECLARATIVE,
        "experience_statement": STATEMENT,
    }
    params.update(kwargs)
    return vae_open(**params)


def _to_jury(
    referent, vae, *, decided=ENROLLED_ON + datetime.timedelta(days=10), jury=TODAY - datetime.timedelta(days=5)
):
    vae = vae_admissibility_decide(
        membership=referent, vae=vae, decision=VaeAdmissibilityDecision.ADMISSIBLE, decided_on=decided
    )
    return vae_jury_schedule(membership=referent, vae=vae, jury_date=jury)


def _status(vae):
    return vae_status(VaePathway.objects.prefetch_related("bloc_results__bloc").get(pk=vae.pk))


def _bloc(cert, code):
    return CompetenceBloc.objects.get(certification=cert, code=code)


# --- reference data -----------------------------------------------------------------------------


def test_reference_load_creates_three_routes_and_certifications_with_blocs(db):
    RomeJobFactory(code="K2204", label="Agent / Agente de nettoyage industriel")
    vae_reference_load()
    assert set(VaeRoute.objects.values_list("code", flat=True)) == {
        "titre-complet",
        "ccp-par-blocs",
        "comparabilite-diplome-etranger",
    }
    aph = TargetCertification.objects.get(rncp_code="RNCP37274")
    assert aph.blocs.count() >= 2
    assert list(aph.rome_jobs.values_list("code", flat=True)) == ["K2204"]
    assert VaeRoute.objects.get(code="ccp-par-blocs").by_blocs
    assert VaeRoute.objects.get(code="comparabilite-diplome-etranger").needs_foreign_diploma


def test_reference_load_is_idempotent(db):
    vae_reference_load()
    counts = (VaeRoute.objects.count(), TargetCertification.objects.count(), CompetenceBloc.objects.count())
    vae_reference_load()
    assert (VaeRoute.objects.count(), TargetCertification.objects.count(), CompetenceBloc.objects.count()) == counts


def test_reference_rome_codes_exist_in_the_rome_demo_subset():
    import csv
    import json

    from parcours.programmes.services_vae import REFERENCE_PATH

    subset = (
        REFERENCE_PATH.parents[2] / "occupations" / "data" / "rome-demo" / "unix_referentiel_code_rome_v460_utf8.csv"
    )
    with subset.open(encoding="utf-8") as handle:
        known = {row["code_rome"] for row in csv.DictReader(handle)}
    data = json.loads(REFERENCE_PATH.read_text(encoding="utf-8"))
    used = {code for cert in data["certifications"] for code in cert["rome_codes"]}
    assert used and used <= known


def test_reference_load_refuses_a_certification_without_blocs(db, tmp_path):
    path = tmp_path / "ref.json"
    path.write_text('{"routes": [], "certifications": [{"rncp_code": "RNCP1", "title": "X", "level": 3, "blocs": []}]}')
    with pytest.raises(ValidationError, match="blocs"):
        vae_reference_load(path=path)
    assert not TargetCertification.objects.filter(rncp_code="RNCP1").exists()


# --- opening ------------------------------------------------------------------------------------


def test_open_with_declarative_admissibility_stores_the_statement_and_targets_all_blocs(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    assert vae.experience_statement == STATEMENT
    assert vae.admissibility_decision == VaeAdmissibilityDecision.PENDING
    assert set(vae.bloc_results.values_list("bloc_id", flat=True)) == set(
        reference["aph"].blocs.values_list("pk", flat=True)
    )
    event = Event.objects.get(pathway=enrolment.pathway, kind=EventKind.VAE_UPDATED)
    assert "Agent de propreté" in event.summary
    assert STATEMENT not in event.summary
    assert AuditEntry.objects.filter(
        object_type="programmes.vaepathway", object_id=str(vae.pk), action="create"
    ).exists()
    assert _status(vae).stage == VaeStage.ADMISSIBILITY_PENDING


def test_open_by_operator_staff_is_allowed(enrolment, reference):
    staff = operator_staff(enrolment.session)
    vae = _open(staff, enrolment, reference)
    assert vae.pk


def test_open_refused_to_a_professional_outside_the_group_and_the_centre(enrolment, reference):
    with pytest.raises(PermissionDenied):
        _open(MembershipFactory(), enrolment, reference)
    assert not VaePathway.objects.exists()


def test_open_refused_outside_a_vae_programme(referent, reference):
    pathway = PathwayFactory(referent=referent)
    enrolment = EnrolmentFactory(pathway=pathway, state=EnrolmentState.ENROLLED, enrolled_on=ENROLLED_ON)
    with pytest.raises(ValidationError, match="pas un programme de VAE"):
        _open(referent, enrolment, reference)
    assert not VaePathway.objects.exists()


def test_open_refused_for_a_candidacy(referent, enrolment, reference):
    enrolment.state = EnrolmentState.CANDIDATE
    enrolment.enrolled_on = None
    enrolment.save()
    with pytest.raises(ValidationError, match="pendant l'inscription"):
        _open(referent, enrolment, reference)
    assert not VaePathway.objects.exists()


def test_open_declarative_without_statement_is_refused(referent, enrolment, reference):
    with pytest.raises(ValidationError) as info:
        _open(referent, enrolment, reference, experience_statement="  ")
    assert "déclaration d'expérience" in info.value.message_dict["experience_statement"][0]
    assert not VaePathway.objects.exists()
    assert not Event.objects.filter(kind=EventKind.VAE_UPDATED).exists()


def test_open_declarative_with_a_too_short_statement_is_refused(referent, enrolment, reference):
    with pytest.raises(ValidationError, match="200 caractères"):
        _open(referent, enrolment, reference, experience_statement="Agent d'entretien.")
    assert not VaePathway.objects.exists()


def test_open_standard_admissibility_needs_no_statement(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference, admissibility=VaeAdmissibility.STANDARD, experience_statement="")
    assert vae.admissibility == VaeAdmissibility.STANDARD


def test_open_by_blocs_needs_at_least_one_bloc(referent, enrolment, reference):
    with pytest.raises(ValidationError, match="au moins un bloc"):
        _open(referent, enrolment, reference, route=reference["blocs"])
    assert not VaePathway.objects.exists()


def test_open_by_blocs_refuses_a_bloc_of_another_certification(referent, enrolment, reference):
    other = _bloc(reference["cook"], "CCP1")
    with pytest.raises(ValidationError, match="n'appartiennent pas"):
        _open(referent, enrolment, reference, route=reference["blocs"], bloc_ids=[other.pk])
    assert not VaePathway.objects.exists()
    assert not VaeBlocResult.objects.exists()


def test_open_by_blocs_targets_only_the_chosen_blocs(referent, enrolment, reference):
    bloc = _bloc(reference["aph"], "CCP1")
    vae = _open(referent, enrolment, reference, route=reference["blocs"], bloc_ids=[str(bloc.pk)])
    assert list(vae.bloc_results.values_list("bloc_id", flat=True)) == [bloc.pk]


def test_open_foreign_diploma_route_needs_one_of_the_persons_diplomas(referent, enrolment, reference):
    with pytest.raises(ValidationError, match="diplôme obtenu à l'étranger"):
        _open(referent, enrolment, reference, route=reference["foreign"])
    stranger = ForeignQualification.objects.create(person=PersonFactory(), title="Diplôme", country="AF")
    with pytest.raises(ValidationError, match="pas un diplôme de la personne"):
        _open(referent, enrolment, reference, route=reference["foreign"], foreign_diploma=stranger)
    assert not VaePathway.objects.exists()
    own = ForeignQualification.objects.create(
        person=enrolment.pathway.person, title="Diplôme d'agent d'hygiène hospitalière", country="AF", year=2015
    )
    vae = _open(referent, enrolment, reference, route=reference["foreign"], foreign_diploma=own)
    assert vae.foreign_diploma == own


def test_open_twice_is_refused(referent, enrolment, reference):
    _open(referent, enrolment, reference)
    with pytest.raises(ValidationError, match="déjà ouvert"):
        _open(referent, enrolment, reference)
    assert VaePathway.objects.count() == 1


def test_open_refuses_hours_planned_out_of_range(referent, enrolment, reference):
    with pytest.raises(ValidationError, match="entre 0 et 500"):
        _open(referent, enrolment, reference, accompaniment_hours_planned=900)
    assert not VaePathway.objects.exists()


# --- admissibility ------------------------------------------------------------------------------


def test_admissibility_decided_once(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    day = ENROLLED_ON + datetime.timedelta(days=3)
    vae_admissibility_decide(membership=referent, vae=vae, decision=VaeAdmissibilityDecision.ADMISSIBLE, decided_on=day)
    vae.refresh_from_db()
    assert (vae.admissibility_decision, vae.admissibility_decided_on) == ("admissible", day)
    assert _status(vae).stage == VaeStage.ADMISSIBLE
    with pytest.raises(ValidationError, match="déjà été décidée"):
        vae_admissibility_decide(
            membership=referent, vae=vae, decision=VaeAdmissibilityDecision.NOT_ADMISSIBLE, decided_on=day
        )


def test_admissibility_refused_to_an_outsider(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    with pytest.raises(PermissionDenied):
        vae_admissibility_decide(
            membership=MembershipFactory(), vae=vae, decision=VaeAdmissibilityDecision.ADMISSIBLE, decided_on=TODAY
        )
    vae.refresh_from_db()
    assert vae.admissibility_decision == VaeAdmissibilityDecision.PENDING


def test_admissibility_date_in_the_future_or_before_enrolment_is_refused(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    for day in (TODAY + datetime.timedelta(days=1), ENROLLED_ON - datetime.timedelta(days=1)):
        with pytest.raises(ValidationError):
            vae_admissibility_decide(
                membership=referent, vae=vae, decision=VaeAdmissibilityDecision.ADMISSIBLE, decided_on=day
            )
    vae.refresh_from_db()
    assert vae.admissibility_decision == VaeAdmissibilityDecision.PENDING


def test_not_admissible_closes_the_way_to_the_jury(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    vae_admissibility_decide(
        membership=referent, vae=vae, decision=VaeAdmissibilityDecision.NOT_ADMISSIBLE, decided_on=TODAY
    )
    assert _status(vae).stage == VaeStage.NOT_ADMISSIBLE
    with pytest.raises(ValidationError, match="recevabilité favorable"):
        vae_jury_schedule(membership=referent, vae=vae, jury_date=TODAY)


# --- hours --------------------------------------------------------------------------------------


def test_hours_add_up_and_are_dated_in_the_timeline(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference, accompaniment_hours_planned=24)
    vae_hours_record(membership=referent, vae=vae, hours="3.5", done_on=TODAY)
    vae_hours_record(membership=referent, vae=vae, hours=Decimal("2"), done_on=TODAY, planned=30)
    vae.refresh_from_db()
    assert vae.accompaniment_hours_done == Decimal("5.5")
    assert vae.accompaniment_hours_planned == 30
    last = Event.objects.filter(kind=EventKind.VAE_UPDATED).order_by("-id").first()
    assert last.payload["done_on"] == TODAY.isoformat()


def test_negative_hours_are_refused(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    with pytest.raises(ValidationError, match="négatif"):
        vae_hours_record(membership=referent, vae=vae, hours="-2", done_on=TODAY)
    vae.refresh_from_db()
    assert vae.accompaniment_hours_done == 0


def test_hours_refused_to_an_outsider(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    with pytest.raises(PermissionDenied):
        vae_hours_record(membership=MembershipFactory(), vae=vae, hours="2", done_on=TODAY)


# --- jury ---------------------------------------------------------------------------------------


def test_jury_before_admissibility_is_refused(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    with pytest.raises(ValidationError, match="recevabilité favorable"):
        vae_jury_schedule(membership=referent, vae=vae, jury_date=TODAY)
    vae.refresh_from_db()
    assert vae.jury_date is None


def test_jury_date_before_the_admissibility_decision_is_refused(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    decided = ENROLLED_ON + datetime.timedelta(days=20)
    vae_admissibility_decide(
        membership=referent, vae=vae, decision=VaeAdmissibilityDecision.ADMISSIBLE, decided_on=decided
    )
    with pytest.raises(ValidationError, match="précéder la décision de recevabilité"):
        vae_jury_schedule(membership=referent, vae=vae, jury_date=decided - datetime.timedelta(days=1))
    vae.refresh_from_db()
    assert vae.jury_date is None


def test_jury_scheduled_in_the_future(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    jury = TODAY + datetime.timedelta(days=30)
    vae = _to_jury(referent, vae, jury=jury)
    status = _status(vae)
    assert status.stage == VaeStage.JURY_SCHEDULED
    assert "results" in status.next_actions


# --- results ------------------------------------------------------------------------------------


def test_results_before_admissibility_are_refused(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    bloc = _bloc(reference["aph"], "CCP1")
    with pytest.raises(ValidationError, match="recevabilité favorable"):
        vae_bloc_results_record(membership=referent, vae=vae, results={bloc.pk: "validated"}, decided_on=TODAY)
    assert not Certification.objects.exists()


def test_results_before_the_jury_date_are_refused(referent, enrolment, reference):
    vae = _to_jury(referent, _open(referent, enrolment, reference), jury=TODAY)
    bloc = _bloc(reference["aph"], "CCP1")
    with pytest.raises(ValidationError, match="précéder la date du jury"):
        vae_bloc_results_record(
            membership=referent,
            vae=vae,
            results={bloc.pk: "validated"},
            decided_on=TODAY - datetime.timedelta(days=1),
        )
    assert VaeBlocResult.objects.filter(result=BlocResult.PENDING).count() == reference["aph"].blocs.count()
    assert not Certification.objects.exists()


def test_results_for_a_bloc_of_another_certification_are_refused(referent, enrolment, reference):
    vae = _to_jury(referent, _open(referent, enrolment, reference))
    other = _bloc(reference["cook"], "CCP1")
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        vae_bloc_results_record(membership=referent, vae=vae, results={other.pk: "validated"}, decided_on=TODAY)
    assert not Certification.objects.exists()


def test_results_refused_to_an_outsider(referent, enrolment, reference):
    vae = _to_jury(referent, _open(referent, enrolment, reference))
    bloc = _bloc(reference["aph"], "CCP1")
    with pytest.raises(PermissionDenied):
        vae_bloc_results_record(
            membership=MembershipFactory(), vae=vae, results={bloc.pk: "validated"}, decided_on=TODAY
        )
    assert not Certification.objects.exists()


def test_all_blocs_validated_give_the_full_titre(referent, enrolment, reference):
    jury = TODAY - datetime.timedelta(days=5)
    vae = _to_jury(referent, _open(referent, enrolment, reference), jury=jury)
    results = {b.pk: "validated" for b in reference["aph"].blocs.all()}
    vae_bloc_results_record(membership=referent, vae=vae, results=results, decided_on=TODAY)
    cert = Certification.objects.get(enrolment=enrolment)
    assert (cert.kind, cert.exam, cert.rncp_code, cert.obtained_on) == (
        "professional",
        CertificationExam.TITRE_PRO,
        "RNCP37274",
        jury,
    )
    status = _status(vae)
    assert status.stage == VaeStage.RESULT_FULL
    assert "jury" not in status.next_actions and "results" not in status.next_actions


def test_partial_validation_writes_one_bloc_certification_and_allows_a_new_jury(referent, enrolment, reference):
    jury = TODAY - datetime.timedelta(days=20)
    vae = _to_jury(referent, _open(referent, enrolment, reference), jury=jury)
    ccp1, ccp2 = _bloc(reference["aph"], "CCP1"), _bloc(reference["aph"], "CCP2")
    vae_bloc_results_record(
        membership=referent,
        vae=vae,
        results={ccp1.pk: "validated", ccp2.pk: "not_validated"},
        decided_on=jury,
    )
    cert = Certification.objects.get(enrolment=enrolment)
    assert cert.exam == CertificationExam.BLOC and "CCP1" in cert.title and cert.obtained_on == jury
    status = _status(vae)
    assert status.stage == VaeStage.RESULT_PARTIAL
    assert "CCP1" in status.label
    assert [b.code for b in status.not_validated] == ["CCP2"]

    # The validated bloc is final.
    with pytest.raises(ValidationError, match="déjà validé"):
        vae_bloc_results_record(membership=referent, vae=vae, results={ccp1.pk: "not_validated"}, decided_on=TODAY)
    # A second jury for the bloc not validated completes the titre.
    second = TODAY - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="après les derniers résultats"):
        vae_jury_schedule(membership=referent, vae=vae, jury_date=jury)
    vae_jury_schedule(membership=referent, vae=vae, jury_date=second)
    assert _status(vae).stage == VaeStage.JURY_SCHEDULED
    vae_bloc_results_record(membership=referent, vae=vae, results={ccp2.pk: "validated"}, decided_on=TODAY)
    exams = list(
        Certification.objects.filter(enrolment=enrolment).order_by("obtained_on").values_list("exam", "obtained_on")
    )
    assert exams == [(CertificationExam.BLOC, jury), (CertificationExam.TITRE_PRO, second)]
    assert _status(vae).stage == VaeStage.RESULT_FULL


def test_no_bloc_validated(referent, enrolment, reference):
    vae = _to_jury(referent, _open(referent, enrolment, reference))
    results = {b.pk: "not_validated" for b in reference["aph"].blocs.all()}
    vae_bloc_results_record(membership=referent, vae=vae, results=results, decided_on=TODAY)
    assert not Certification.objects.exists()
    assert _status(vae).stage == VaeStage.RESULT_NONE


def test_by_blocs_route_validating_its_only_bloc_writes_a_bloc_certification(referent, enrolment, reference):
    ccp1 = _bloc(reference["aph"], "CCP1")
    vae = _open(referent, enrolment, reference, route=reference["blocs"], bloc_ids=[ccp1.pk])
    vae = _to_jury(referent, vae)
    vae_bloc_results_record(membership=referent, vae=vae, results={ccp1.pk: "validated"}, decided_on=TODAY)
    assert list(Certification.objects.values_list("exam", flat=True)) == [CertificationExam.BLOC]
    assert _status(vae).stage == VaeStage.RESULT_FULL


def test_empty_results_are_refused(referent, enrolment, reference):
    vae = _to_jury(referent, _open(referent, enrolment, reference))
    with pytest.raises(ValidationError, match="au moins un bloc"):
        vae_bloc_results_record(membership=referent, vae=vae, results={}, decided_on=TODAY)


def test_writes_refused_once_the_enrolment_is_over(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    enrolment.state = EnrolmentState.COMPLETED
    enrolment.exited_on = TODAY
    enrolment.save()
    with pytest.raises(ValidationError, match="pendant l'inscription"):
        vae_hours_record(membership=referent, vae=vae, hours="2", done_on=TODAY)
    vae.refresh_from_db()
    assert vae.accompaniment_hours_done == 0


def test_status_labels_are_french(referent, enrolment, reference):
    vae = _open(referent, enrolment, reference)
    assert services_vae.vae_status(VaePathway.objects.get(pk=vae.pk)).label == "Recevabilité en attente de décision"
