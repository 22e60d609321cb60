import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log
from parcours.demo import territory as T
from parcours.demo.loader import demo_load
from parcours.demo.models import DemoLoad
from parcours.demo.programmes import ALUMNI_PERSONS  # HOPE alumni come on top of the persons asked for
from parcours.diagnostics.models import IntegrationContract
from parcours.organisations.enums import OrganisationKind, Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant
from parcours.pathways.enums import Orientation, PathwayStatus
from parcours.pathways.models import Event, FollowUpMember, Pathway
from parcours.people.enums import ChildcareSolution, ProtectionStatus
from parcours.people.models import Consent, Person
from parcours.users.models import User

PERSONS = 40


@pytest.fixture
def references(db):
    call_command("load_reference", stdout=None)


@pytest.fixture
def demo(references):
    return demo_load(persons=PERSONS, seed=44)


def test_demo_load_creates_organisations_of_every_kind(demo):
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    assert Organisation.objects.count() >= 15


def test_demo_load_creates_the_documented_logins(demo):
    usernames = set(User.objects.values_list("username", flat=True))
    assert {p.username for p in T.PROFESSIONALS} | {T.SUPERUSER} <= usernames
    assert len(T.PROFESSIONALS) >= 30


def test_demo_load_gives_every_role_to_at_least_one_login(demo):
    roles = set(
        Membership.objects.filter(user__username__in=[p.username for p in T.PROFESSIONALS]).values_list(
            "role", flat=True
        )
    )
    assert roles == set(Role.values)


def test_demo_superuser_is_a_platform_administrator_without_membership(demo):
    admin = User.objects.get(username=T.SUPERUSER)
    assert admin.is_superuser and admin.is_staff
    assert not admin.memberships.exists()


def test_demo_has_a_professional_with_two_memberships(demo):
    multi = User.objects.annotate(n=Count("memberships")).filter(n__gte=2)
    assert multi.filter(username="camille.girard").exists()


def test_demo_chargee_orientation_holds_a_territory_grant_on_44(demo):
    grant = TerritoryGrant.objects.get(membership__user__username="helene.bernard", revoked_at__isnull=True)
    assert grant.departement_id == "44"
    assert grant.membership.role == Role.CHARGE_ORIENTATION


def test_demo_logins_share_the_documented_password(demo, client):
    assert client.login(username=T.MAIN_CONSEILLER, password=T.DEMO_PASSWORD)


def test_demo_has_a_refugee_with_an_integration_contract(demo):
    contracts = IntegrationContract.objects.filter(
        person__protection_status__in=[ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY]
    )
    assert contracts.exists()
    contract = contracts.first()
    assert 0 <= contract.french_hours_done <= contract.french_hours_prescribed


def test_demo_has_refugees_from_several_countries(demo):
    countries = set(
        Person.objects.filter(protection_status__in=[ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY])
        .values_list("nationality", flat=True)
        .distinct()
    )
    assert len(countries) >= 2


def test_demo_has_a_mother_of_a_child_under_3_without_childcare(demo):
    three_years_ago = timezone.localdate() - datetime.timedelta(days=3 * 365)
    assert Person.objects.filter(
        sex="F", children__birth_date__gt=three_years_ago, children__childcare=ChildcareSolution.NONE
    ).exists()


def test_demo_has_a_residence_permit_expiring_within_60_days(demo):
    today = timezone.localdate()
    assert Person.objects.filter(
        residence_permit_valid_until__gte=today,
        residence_permit_valid_until__lt=today + datetime.timedelta(days=60),
    ).exists()


def test_demo_has_people_awaiting_orientation_without_referent(demo):
    pending = Pathway.objects.filter(status=PathwayStatus.OPEN, orientation=Orientation.PENDING)
    assert pending.exists()
    assert not FollowUpMember.objects.filter(pathway__in=pending, is_referent=True, ended_at__isnull=True).exists()


def test_demo_has_people_with_rqth_followed_by_cap_emploi(demo):
    assert FollowUpMember.objects.filter(
        pathway__person__has_rqth=True,
        is_referent=True,
        membership__organisation__kind=OrganisationKind.CAP_EMPLOI,
    ).exists()


def test_demo_every_open_pathway_has_one_referent_except_pending_orientation(demo):
    open_pathways = Pathway.objects.filter(status=PathwayStatus.OPEN).annotate(
        referents=Count("members", filter=Q(members__is_referent=True, members__ended_at__isnull=True))
    )
    for pathway in open_pathways:
        expected = 0 if pathway.orientation == Orientation.PENDING else 1
        assert pathway.referents == expected, pathway.pk


def test_demo_gives_every_person_a_pathway_with_a_timeline(demo):
    assert Person.objects.exclude(ALUMNI_PERSONS).count() == PERSONS
    assert Pathway.objects.exclude(person__in=Person.objects.filter(ALUMNI_PERSONS)).count() == PERSONS
    assert not Pathway.objects.annotate(n=Count("events")).filter(n=0).exists()


def test_demo_consent_ledger_has_withdrawn_and_superseded_entries(references):
    demo_load(persons=150, seed=44)
    assert Consent.objects.filter(decision="withdrawn", is_current=True).exists()
    assert Consent.objects.filter(decision="given", is_current=False, superseded_at__isnull=False).exists()


def test_demo_history_is_never_in_the_future(demo):
    now = timezone.now()
    assert not Event.objects.filter(at__gt=now).exists()
    assert not AuditEntry.objects.filter(at__gt=now).exists()


def test_demo_audit_chain_verifies_after_load(demo):
    call_command("audit_verify", stdout=None)
    assert AuditEntry.objects.filter(action=AuditAction.READ).exists()


def test_demo_load_continues_an_existing_audit_chain(references):
    user = User.objects.create(username="avant", email="avant@parcours.test")
    for _ in range(3):
        audit_log(actor=user, action=AuditAction.LOGIN, object_type="auth.login")
    demo_load(persons=20, seed=1)
    call_command("audit_verify", stdout=None)
    audit_log(actor=user, action=AuditAction.LOGIN, object_type="auth.login")
    call_command("audit_verify", stdout=None)


def test_demo_load_bulk_mode_restores_constraints_and_chain(references):
    from django.db import connection

    def constraint_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype IN ('f', 'u')")
            constraints = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
            return constraints, cursor.fetchone()[0]

    before = constraint_count()
    demo_load(persons=25, seed=3, bulk=True, batch_size=10)
    assert constraint_count() == before
    assert Person.objects.exclude(ALUMNI_PERSONS).count() == 25
    call_command("audit_verify", stdout=None)


def test_demo_load_is_deterministic_for_a_seed(references):
    demo_load(persons=15, seed=7)
    first = list(Person.objects.order_by("id").values_list("first_name", "last_name", "birth_date", "nationality"))
    demo_load(persons=15, seed=7, reset=True)
    second = list(Person.objects.order_by("id").values_list("first_name", "last_name", "birth_date", "nationality"))
    assert first == second


def test_demo_load_command_refuses_zero_persons_in_french(references):
    with pytest.raises(CommandError, match="entre 1 et 2 000 000"):
        call_command("demo_load", persons=0, stdout=None)
    assert not Person.objects.exists()
    assert not DemoLoad.objects.exists()


def test_demo_load_command_refuses_more_than_two_million_persons(references):
    with pytest.raises(CommandError, match="entre 1 et 2 000 000"):
        call_command("demo_load", persons=2_000_001, stdout=None)
    assert not Organisation.objects.exists()


def test_demo_load_command_refuses_a_second_run_without_reset(demo):
    with pytest.raises(CommandError, match="déjà chargée.*--reset"):
        call_command("demo_load", persons=10, stdout=None)
    assert Person.objects.exclude(ALUMNI_PERSONS).count() == PERSONS
    assert DemoLoad.objects.count() == 1


def test_demo_load_command_with_reset_replaces_the_demo(demo):
    call_command("demo_load", persons=12, reset=True, stdout=None)
    assert Person.objects.exclude(ALUMNI_PERSONS).count() == 12
    assert DemoLoad.objects.get().persons == 12
    call_command("audit_verify", stdout=None)


def test_demo_load_refuses_without_reference_data(db):
    with pytest.raises(CommandError, match="load_reference"):
        call_command("demo_load", persons=10, stdout=None)
    assert not Organisation.objects.exists()


def test_demo_logins_prints_the_table_with_the_password(demo, capsys):
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert T.DEMO_PASSWORD in out
    for username in ("sophie.martin", "helene.bernard", "francois.gauthier", "camille.girard", T.SUPERUSER):
        assert username in out
    assert "Passerelles Réfugiés 44" in out and "Mission locale Nantes Métropole" in out


def test_demo_logins_says_when_the_demo_is_not_loaded(db, capsys):
    call_command("demo_logins")
    captured = capsys.readouterr()
    assert "pas chargée" in captured.err
    assert captured.out == ""


def test_demo_load_gives_the_same_people_with_worker_processes(references):
    def people():
        return list(Person.objects.order_by("id").values_list("id", "first_name", "last_name", "birth_date"))

    demo_load(persons=30, seed=5, batch_size=10, workers=2)
    with_workers = people()
    events = Event.objects.count()
    demo_load(persons=30, seed=5, batch_size=10, workers=1, reset=True)
    assert people() == with_workers
    assert Event.objects.count() == events
    call_command("audit_verify", stdout=None)


def test_demo_load_if_absent_leaves_a_loaded_demo_alone(demo, capsys):
    call_command("demo_load", persons=10, if_absent=True)
    assert "déjà chargée" in capsys.readouterr().out
    assert Person.objects.exclude(ALUMNI_PERSONS).count() == PERSONS


def test_demo_health_goal_events_carry_the_health_category(demo):
    from parcours.pathways.models import Event, Goal

    health_goal_ids = set(Goal.objects.filter(theme="sante").values_list("id", flat=True))
    assert health_goal_ids, "the demo should contain health goals"
    for event in Event.objects.filter(kind="goal_added"):
        assert event.category == ("health" if event.payload["goal"] in health_goal_ids else "")
