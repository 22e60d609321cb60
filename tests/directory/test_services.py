import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.directory import services
from parcours.directory.models import PARCOURS_SOURCE, DuplicateStatus, Service, ServiceStatus, Structure
from tests.factories import CommuneFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.www.offer.factories import (
    DuplicateCandidateFactory,
    StructureFactory,
    days_ago,
    operated_service,
    valid_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    CommuneFactory()  # Nantes, 44: the département's communes are loaded
    return MembershipFactory(admin=True)


def test_structure_for_organisation_is_created_once():
    organisation = OrganisationFactory(name="Maison de l'emploi", siret="73282932000074", email="mde@asso.test")
    first = services.structure_for_organisation(organisation=organisation)
    second = services.structure_for_organisation(organisation=organisation)
    assert first.pk == second.pk
    assert (first.source, first.source_id) == (PARCOURS_SOURCE, f"parcours--org-{organisation.pk}")
    assert first.organisation == organisation
    assert (first.nom, first.siret, first.courriel) == ("Maison de l'emploi", "73282932000074", "mde@asso.test")
    assert Structure.objects.count() == 1


def test_structure_for_organisation_drops_an_invalid_siret():
    organisation = OrganisationFactory(siret="12345678901234")
    assert services.structure_for_organisation(organisation=organisation).siret == ""


def test_save_service_creates_a_draft_operated_by_the_organisation(admin):
    service = services.save_service(membership=admin, service=None, data=valid_data())
    assert service.status == ServiceStatus.DRAFT
    assert service.operator == admin.organisation
    assert service.source == PARCOURS_SOURCE and service.source_id.startswith("parcours--")
    assert service.structure.source_id == f"parcours--org-{admin.organisation_id}"
    assert service.date_maj == timezone.localdate()
    assert service.thematiques == ["lecture-ecriture-calcul--maitriser-le-francais"]
    assert service.languages == ["fr", "ar"] and service.interpreting is True
    assert (service.places_total, service.places_free, service.waiting_days) == (12, 3, 10)
    assert service.capacity_updated_at is not None
    assert " th:lecture-ecriture-calcul--maitriser-le-francais " in service.facets
    assert " la:ar " in service.facets
    assert AuditEntry.objects.filter(
        object_type="directory.service", object_id=str(service.pk), action="create"
    ).exists()


def test_save_service_edit_updates_fields_date_and_facets(admin):
    service = operated_service(admin.organisation, date_maj=days_ago(300), publics=["femmes"])
    updated = services.save_service(membership=admin, service=service, data=valid_data(nom="Nouveau nom"))
    updated.refresh_from_db()
    assert updated.nom == "Nouveau nom"
    assert updated.date_maj == timezone.localdate()
    assert updated.publics == ["personnes-exilees"]
    assert " pu:personnes-exilees " in updated.facets and " pu:femmes " not in updated.facets
    assert updated.status == ServiceStatus.PUBLISHED  # editing does not change the status
    entry = AuditEntry.objects.filter(object_id=str(service.pk), action="update").get()
    assert "nom" in entry.fields


def test_save_service_refuses_unknown_vocabulary_value_and_writes_nothing(admin):
    with pytest.raises(ValidationError) as exc:
        services.save_service(membership=admin, service=None, data=valid_data(publics=["extraterrestres"]))
    assert "publics" in exc.value.message_dict
    assert "vocabulaire data·inclusion" in exc.value.message_dict["publics"][0]
    assert "extraterrestres" in exc.value.message_dict["publics"][0]
    assert Service.objects.count() == 0


def test_save_service_refuses_invalid_zone_code_with_a_clear_message(admin):
    service = operated_service(admin.organisation, nom="Avant")
    with pytest.raises(ValidationError) as exc:
        services.save_service(
            membership=admin, service=service, data=valid_data(nom="Après", zone_eligibilite=["4410"])
        )
    assert len(exc.value.message_dict["zone_eligibilite"]) == 1
    assert exc.value.message_dict["zone_eligibilite"][0].startswith("Code non reconnu : « 4410 » (attendu")
    service.refresh_from_db()
    assert service.nom == "Avant"


def test_save_service_refuses_an_unknown_commune_of_a_loaded_departement(admin):
    with pytest.raises(ValidationError) as exc:
        services.save_service(membership=admin, service=None, data=valid_data(zone_eligibilite=["44999"]))
    assert "Commune inconnue" in exc.value.message_dict["zone_eligibilite"][0]


def test_save_service_refuses_free_places_above_total(admin):
    with pytest.raises(ValidationError) as exc:
        services.save_service(membership=admin, service=None, data=valid_data(places_total=5, places_free=8))
    assert "ne peuvent dépasser" in exc.value.message_dict["places_free"][0]
    assert Service.objects.count() == 0


def test_save_service_refuses_tous_publics_with_another_public(admin):
    with pytest.raises(ValidationError) as exc:
        services.save_service(membership=admin, service=None, data=valid_data(publics=["tous-publics", "femmes"]))
    assert "tous-publics" in exc.value.message_dict["publics"][0]


def test_save_service_refused_for_a_conseiller_of_the_same_organisation(admin):
    conseiller = MembershipFactory(organisation=admin.organisation)
    service = operated_service(admin.organisation, nom="Avant")
    with pytest.raises(PermissionDenied):
        services.save_service(membership=conseiller, service=service, data=valid_data(nom="Après"))
    with pytest.raises(PermissionDenied):
        services.save_service(membership=conseiller, service=None, data=valid_data())
    service.refresh_from_db()
    assert service.nom == "Avant"
    assert Service.objects.count() == 1


def test_save_service_refused_for_another_organisations_admin(admin):
    service = operated_service(OrganisationFactory(), nom="Avant")
    with pytest.raises(PermissionDenied) as exc:
        services.save_service(membership=admin, service=service, data=valid_data(nom="Après"))
    assert "autre organisation" in str(exc.value)
    service.refresh_from_db()
    assert service.nom == "Avant"


def test_save_service_refused_without_membership_even_for_a_superuser():
    # A platform administrator has no membership: the offer is declared by the organisation itself.
    UserFactory(is_superuser=True)
    with pytest.raises(PermissionDenied):
        services.save_service(membership=None, service=None, data=valid_data())
    assert Service.objects.count() == 0


def test_save_service_refused_for_a_deactivated_admin_membership(admin):
    service = operated_service(admin.organisation)
    admin_copy = type(admin).objects.get(pk=admin.pk)
    type(admin).objects.filter(pk=admin.pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        services.save_service(membership=admin_copy, service=service, data=valid_data())


def test_admin_of_the_structures_organisation_may_manage_a_service_operated_elsewhere(admin):
    structure = StructureFactory(organisation=admin.organisation)
    service = operated_service(OrganisationFactory(), structure=structure)
    assert services.can_manage(admin, service)
    services.save_service(membership=admin, service=service, data=valid_data(nom="Repris"))
    service.refresh_from_db()
    assert service.nom == "Repris"


def test_publish_and_archive(admin):
    service = operated_service(admin.organisation, status=ServiceStatus.DRAFT, date_maj=days_ago(30))
    services.publish_service(membership=admin, service=service)
    service.refresh_from_db()
    assert service.status == ServiceStatus.PUBLISHED
    assert service.date_maj == timezone.localdate()
    services.archive_service(membership=admin, service=service)
    service.refresh_from_db()
    assert service.status == ServiceStatus.ARCHIVED


def test_publish_refused_for_another_organisations_admin(admin):
    service = operated_service(OrganisationFactory(), status=ServiceStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        services.publish_service(membership=admin, service=service)
    service.refresh_from_db()
    assert service.status == ServiceStatus.DRAFT


def test_archive_refused_for_a_conseiller(admin):
    service = operated_service(admin.organisation)
    with pytest.raises(PermissionDenied):
        services.archive_service(membership=MembershipFactory(organisation=admin.organisation), service=service)
    service.refresh_from_db()
    assert service.status == ServiceStatus.PUBLISHED


def test_update_capacity_sets_places_and_dates(admin):
    service = operated_service(admin.organisation, date_maj=days_ago(100))
    session = timezone.localdate() + datetime.timedelta(days=20)
    services.update_capacity(
        membership=admin, service=service, places_total=10, places_free=4, waiting_days=7, next_sessions=[session]
    )
    service.refresh_from_db()
    assert (service.places_total, service.places_free, service.waiting_days) == (10, 4, 7)
    assert service.next_sessions == [session.isoformat()]
    assert service.capacity_updated_at is not None
    assert service.date_maj == timezone.localdate()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"places_total": 5, "places_free": 6}, "places_free", "ne peuvent dépasser"),
        ({"places_total": -1, "places_free": None}, "places_total", "négatif"),
        ({"places_total": 5, "places_free": -2}, "places_free", "négatif"),
        ({"places_total": None, "places_free": None, "waiting_days": -3}, "waiting_days", "négatif"),
        ({"places_total": None, "places_free": 2}, "places_total", "nombre total"),
        ({"next_sessions": [datetime.date(2020, 1, 6)]}, "next_sessions", "déjà passée"),
    ],
)
def test_update_capacity_refuses_bad_input_and_changes_nothing(admin, kwargs, field, message):
    service = operated_service(admin.organisation, places_total=3, places_free=1, date_maj=days_ago(100))
    arguments = {"places_total": 5, "places_free": 1, "waiting_days": None, "next_sessions": []} | kwargs
    with pytest.raises(ValidationError) as exc:
        services.update_capacity(membership=admin, service=service, **arguments)
    assert message in " ".join(exc.value.message_dict[field])
    service.refresh_from_db()
    assert (service.places_total, service.places_free) == (3, 1)
    assert service.date_maj == days_ago(100)


def test_update_capacity_refused_for_another_organisations_admin(admin):
    service = operated_service(OrganisationFactory(), places_total=3, places_free=1)
    with pytest.raises(PermissionDenied):
        services.update_capacity(
            membership=admin, service=service, places_total=3, places_free=0, waiting_days=None, next_sessions=[]
        )
    service.refresh_from_db()
    assert service.places_free == 1


def test_services_managed_by_is_scoped_to_the_admins_organisation(admin):
    own = operated_service(admin.organisation)
    operated_service(OrganisationFactory())
    assert list(services.services_managed_by(membership=admin)) == [own]
    conseiller = MembershipFactory(organisation=admin.organisation)
    assert not services.services_managed_by(membership=conseiller).exists()


def _service_pair(first_org, second_org):
    a, b = operated_service(first_org), operated_service(second_org)
    a, b = sorted([a, b], key=lambda s: s.pk)
    return DuplicateCandidateFactory(first_service=a, second_service=b)


def test_decide_duplicate_by_a_superuser():
    candidate = _service_pair(OrganisationFactory(), OrganisationFactory())
    superuser = UserFactory(is_superuser=True)
    services.decide_duplicate(user=superuser, membership=None, candidate=candidate, decision=DuplicateStatus.SAME)
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.SAME
    assert candidate.decided_by == superuser and candidate.decided_at is not None


def test_decide_duplicate_by_an_admin_of_an_involved_organisation(admin):
    candidate = _service_pair(admin.organisation, OrganisationFactory())
    services.decide_duplicate(user=admin.user, membership=admin, candidate=candidate, decision=DuplicateStatus.DISTINCT)
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISTINCT


def test_decide_duplicate_refused_for_an_uninvolved_admin(admin):
    candidate = _service_pair(OrganisationFactory(), OrganisationFactory())
    with pytest.raises(PermissionDenied):
        services.decide_duplicate(user=admin.user, membership=admin, candidate=candidate, decision="same")
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


def test_decide_duplicate_refused_for_a_conseiller_of_an_involved_organisation(admin):
    candidate = _service_pair(admin.organisation, OrganisationFactory())
    conseiller = MembershipFactory(organisation=admin.organisation)
    with pytest.raises(PermissionDenied):
        services.decide_duplicate(user=conseiller.user, membership=conseiller, candidate=candidate, decision="same")
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


def test_decide_duplicate_refuses_an_unknown_decision_and_a_second_decision():
    candidate = _service_pair(OrganisationFactory(), OrganisationFactory())
    superuser = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError):
        services.decide_duplicate(user=superuser, membership=None, candidate=candidate, decision="pending")
    services.decide_duplicate(user=superuser, membership=None, candidate=candidate, decision="same")
    with pytest.raises(ValidationError) as exc:
        services.decide_duplicate(user=superuser, membership=None, candidate=candidate, decision="distinct")
    assert "déjà été examiné" in exc.value.messages[0]
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.SAME


def test_duplicates_visible_to_scopes_by_involvement(admin):
    mine = _service_pair(admin.organisation, OrganisationFactory())
    other = _service_pair(OrganisationFactory(), OrganisationFactory())
    assert list(services.duplicates_visible_to(user=admin.user, membership=admin)) == [mine]
    superuser = UserFactory(is_superuser=True)
    assert set(services.duplicates_visible_to(user=superuser, membership=None)) == {mine, other}
    conseiller = MembershipFactory(organisation=admin.organisation)
    assert not services.duplicates_visible_to(user=conseiller.user, membership=conseiller).exists()


def test_save_service_is_one_transaction(admin, monkeypatch):
    """A failure after the service row is written (here: the audit entry) leaves no service behind."""

    def failing_audit(**kwargs):
        raise RuntimeError("audit indisponible")

    monkeypatch.setattr(services, "audit_log", failing_audit)
    with pytest.raises(RuntimeError):
        services.save_service(membership=admin, service=None, data=valid_data())
    assert not Service.objects.filter(operator=admin.organisation).exists()


def test_save_service_refuses_an_unknown_language_code_and_writes_nothing(admin):
    with pytest.raises(ValidationError) as error:
        services.save_service(membership=admin, service=None, data=valid_data(languages=["fr", "xx-klingon"]))
    assert "« xx-klingon »" in str(error.value.message_dict["languages"])
    assert not Service.objects.filter(operator=admin.organisation).exists()


def test_decide_duplicate_refused_when_acting_with_someone_elses_membership(admin):
    candidate = _service_pair(admin.organisation, OrganisationFactory())
    with pytest.raises(PermissionDenied, match="en votre nom"):
        services.decide_duplicate(user=UserFactory(), membership=admin, candidate=candidate, decision="same")
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


@pytest.mark.parametrize("superuser_active", [None, False])
def test_decide_duplicate_refused_without_membership_unless_an_active_superuser(superuser_active):
    candidate = _service_pair(OrganisationFactory(), OrganisationFactory())
    user = UserFactory() if superuser_active is None else UserFactory(is_superuser=True, is_active=False)
    with pytest.raises(PermissionDenied):
        services.decide_duplicate(user=user, membership=None, candidate=candidate, decision="same")
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


@pytest.mark.parametrize("who", ["conseiller", "none", "inactive"])
def test_publish_update_capacity_and_archive_refused_for_non_admins(admin, who):
    membership = {
        "conseiller": lambda: MembershipFactory(organisation=admin.organisation),
        "none": lambda: None,
        "inactive": lambda: MembershipFactory(organisation=admin.organisation, admin=True, is_active=False),
    }[who]()
    draft = operated_service(admin.organisation, status=ServiceStatus.DRAFT)
    published = operated_service(admin.organisation, places_total=10, places_free=2)
    with pytest.raises(PermissionDenied):
        services.publish_service(membership=membership, service=draft)
    with pytest.raises(PermissionDenied):
        services.update_capacity(
            membership=membership, service=published, places_total=10, places_free=9, waiting_days=0, next_sessions=[]
        )
    with pytest.raises(PermissionDenied):
        services.archive_service(membership=membership, service=published)
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == ServiceStatus.DRAFT
    assert (published.status, published.places_free) == (ServiceStatus.PUBLISHED, 2)


def test_archive_refused_for_another_organisations_admin(admin):
    service = operated_service(OrganisationFactory())
    with pytest.raises(PermissionDenied):
        services.archive_service(membership=admin, service=service)
    service.refresh_from_db()
    assert service.status == ServiceStatus.PUBLISHED


def test_save_structure_refused_without_membership():
    with pytest.raises(PermissionDenied):
        services.save_structure(membership=None, data={"nom": "Structure sans membre"})
    assert not Structure.objects.filter(nom="Structure sans membre").exists()
