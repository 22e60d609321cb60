"""Every write service appends exactly one audit entry naming the person, the object and the fields
it changed; a refused write appends none."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from parcours.audit.models import AuditAction, AuditEntry
from parcours.diagnostics.services import diagnostic_record, integration_contract_save
from parcours.pathways import orientation
from parcours.pathways import services as pw
from parcours.pathways.enums import ActionStatus, AppointmentMode, GoalStatus, Orientation
from parcours.pathways.models import FollowUpMember, JoinRequest
from parcours.people.enums import ConsentChannel, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.services import consent_record, person_update
from tests.factories import (
    ActionFactory,
    GoalFactory,
    MembershipFactory,
    PersonFactory,
    TerritoryGrantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(pathway, membership):
    """Everything the calls below need, built before the audit count is taken."""
    goal = GoalFactory(pathway=pathway)
    return {
        "pathway": pathway,
        "referent": membership,
        "goal": goal,
        "action": ActionFactory(goal=goal),
        "newcomer": MembershipFactory(),
        "officer": TerritoryGrantFactory(departement=pathway.departement).membership,
        "admin": UserFactory(is_superuser=True),
        "seat": FollowUpMember.objects.create(pathway=pathway, membership=MembershipFactory()),
        "join_request": JoinRequest.objects.create(pathway=pathway, membership=MembershipFactory(), reason="Suivi"),
    }


def _kw(c, actor=None):
    actor = actor or c["referent"]
    return {"membership": actor, "acting_user": actor.user}


# (name, call, expected object_type, expected action, expected fields)
CASES = [
    (
        "pathway_close",
        lambda c: pw.pathway_close(pathway=c["pathway"], reason="Emploi durable", **_kw(c)),
        "pathways.pathway",
        AuditAction.UPDATE,
        ["closure_reason", "status"],
    ),
    (
        "referent_change",
        lambda c: pw.referent_change(
            pathway=c["pathway"], new_membership=c["newcomer"], reason="Départ", handover_note="RAS", **_kw(c)
        ),
        "pathways.pathway",
        AuditAction.UPDATE,
        ["referent"],
    ),
    (
        "member_add",
        lambda c: pw.member_add(pathway=c["pathway"], new_membership=c["newcomer"], reason="Santé", **_kw(c)),
        "pathways.pathway",
        AuditAction.UPDATE,
        ["members"],
    ),
    (
        "member_end",
        lambda c: pw.member_end(seat=c["seat"], reason="Fin", **_kw(c)),
        "pathways.pathway",
        AuditAction.UPDATE,
        ["members"],
    ),
    (
        "orientation_decide",
        lambda c: orientation.orientation_decide(
            pathway=c["pathway"],
            orientation=Orientation.SOCIAL,
            structure=c["officer"].organisation,
            reason="Freins",
            **_kw(c, c["officer"]),
        ),
        "pathways.orientationdecision",
        AuditAction.CREATE,
        ["orientation", "structure"],
    ),
    (
        "goal_create",
        lambda c: pw.goal_create(pathway=c["pathway"], theme="emploi", text="CDI", agreed_by_person=True, **_kw(c)),
        "pathways.goal",
        AuditAction.CREATE,
        [],
    ),
    (
        "goal_update",
        lambda c: pw.goal_update(goal=c["goal"], status=GoalStatus.ABANDONED, agreed_by_person=True, **_kw(c)),
        "pathways.goal",
        AuditAction.UPDATE,
        ["status"],
    ),
    (
        "action_create",
        lambda c: pw.action_create(goal=c["goal"], text="CV", due_on=None, **_kw(c)),
        "pathways.action",
        AuditAction.CREATE,
        [],
    ),
    (
        "action_set_status",
        lambda c: pw.action_set_status(action=c["action"], status=ActionStatus.IN_PROGRESS, **_kw(c)),
        "pathways.action",
        AuditAction.UPDATE,
        ["status"],
    ),
    (
        "appointment_create",
        lambda c: pw.appointment_create(
            pathway=c["pathway"],
            starts_at=datetime.datetime(2030, 1, 7, 9, 30, tzinfo=datetime.UTC),
            duration_minutes=30,
            mode=AppointmentMode.PHONE,
            subject="Point",
            place="",
            interpreter_booked=False,
            **_kw(c),
        ),
        "pathways.appointment",
        AuditAction.CREATE,
        [],
    ),
    (
        "note_create",
        lambda c: pw.note_create(pathway=c["pathway"], text="RAS", **_kw(c)),
        "pathways.note",
        AuditAction.CREATE,
        [],
    ),
    (
        "join_request_create",
        lambda c: pw.join_request_create(pathway=c["pathway"], reason="Suivi emploi", **_kw(c, c["newcomer"])),
        "pathways.joinrequest",
        AuditAction.CREATE,
        [],
    ),
    (
        "join_request_decide",
        lambda c: pw.join_request_decide(join_request=c["join_request"], accept=True, **_kw(c)),
        "pathways.joinrequest",
        AuditAction.UPDATE,
        ["status"],
    ),
    (
        "break_glass_open",
        lambda c: pw.break_glass_open(
            pathway=c["pathway"], reason="Réquisition judiciaire reçue ce jour", acting_user=c["admin"]
        ),
        "pathways.pathway",
        AuditAction.BREAK_GLASS,
        [],
    ),
    (
        "person_update",
        lambda c: person_update(
            person=c["pathway"].person, changes={"phone": "0601020304"}, pathway=c["pathway"], **_kw(c)
        ),
        "people.person",
        AuditAction.UPDATE,
        ["phone"],
    ),
    (
        "consent_record",
        lambda c: consent_record(
            person=c["pathway"].person,
            category=DataCategory.HEALTH,
            purpose=ConsentPurpose.ACCOMPANIMENT,
            decision=ConsentDecision.GIVEN,
            channel=ConsentChannel.PAPER,
            organisation=c["referent"].organisation,
            pathway=c["pathway"],
            **_kw(c),
        ),
        "people.consent",
        AuditAction.CREATE,
        [DataCategory.HEALTH],
    ),
    (
        "diagnostic_record",
        lambda c: diagnostic_record(
            person=c["pathway"].person,
            pathway=c["pathway"],
            themes={"emploi": {"need": "priority"}},
            languages=[],
            interpreting_needed=False,
            interpreting_language="",
            summary="",
            **_kw(c),
        ),
        "diagnostics.diagnostic",
        AuditAction.CREATE,
        [],
    ),
    (
        "integration_contract_save",
        lambda c: integration_contract_save(
            person=c["pathway"].person,
            pathway=c["pathway"],
            values={"signed_on": datetime.date(2024, 2, 1), "french_hours_prescribed": 100},
            **_kw(c),
        ),
        "diagnostics.integrationcontract",
        AuditAction.CREATE,
        ["french_hours_prescribed", "signed_on"],
    ),
]


@pytest.mark.parametrize("name,call,object_type,action,fields", CASES, ids=[case[0] for case in CASES])
def test_service_writes_exactly_one_audit_entry(ctx, name, call, object_type, action, fields):
    last_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = call(ctx)
    (entry,) = AuditEntry.objects.filter(id__gt=last_id)
    assert entry.object_type == object_type
    assert entry.action == action
    assert entry.person_id == ctx["pathway"].person_id
    assert entry.fields == fields
    if name == "break_glass_open":
        assert entry.actor == ctx["admin"] and entry.organisation is None
    else:
        actor = ctx["officer"] if name == "orientation_decide" else ctx["referent"]
        if name == "join_request_create":
            actor = ctx["newcomer"]
        assert entry.actor == actor.user and entry.organisation == actor.organisation
    expected_id = ctx["pathway"].pk if object_type == "pathways.pathway" else result.pk
    assert entry.object_id == str(expected_id)


def test_refused_write_appends_no_audit_entry(ctx):
    before = AuditEntry.objects.count()
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        pw.note_create(pathway=ctx["pathway"], text="x", membership=outsider, acting_user=outsider.user)
    assert AuditEntry.objects.count() == before


def test_person_create_audits_person_then_pathway(membership):
    from parcours.people.services import person_create

    person, pathway = person_create(
        data={"first_name": "Ali", "last_name": "Rahimi", "birth_date": datetime.date(1985, 6, 1)},
        membership=membership,
        acting_user=membership.user,
    )
    entries = AuditEntry.objects.filter(person=person).order_by("id")
    assert [(e.object_type, e.object_id) for e in entries] == [
        ("people.person", str(person.pk)),
        ("pathways.pathway", str(pathway.pk)),
    ]


def test_anonymous_actor_is_recorded_as_none():
    from django.contrib.auth.models import AnonymousUser

    from parcours.audit.services import audit_log

    entry = audit_log(actor=AnonymousUser(), action=AuditAction.LOGIN_FAILED, object_type="login")
    assert entry.actor is None


def test_audit_entry_names_the_person(pathway):
    from parcours.audit.services import audit_log

    person = PersonFactory()
    entry = audit_log(actor=UserFactory(), action=AuditAction.READ, obj=pathway, person=person)
    assert entry.person == person and entry.object_type == "pathways.pathway"
