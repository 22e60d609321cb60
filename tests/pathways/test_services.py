"""Writes on pathways (parcours/pathways/services.py): who may do what, bad input refused in French
with nothing written, and the database constraints behind the rules."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.enums import (
    ACTION_TRANSITIONS,
    ActionStatus,
    AppointmentMode,
    AppointmentStatus,
    EventKind,
    GoalStatus,
    JoinRequestStatus,
    PathwayStatus,
)
from parcours.pathways.models import (
    Action,
    Appointment,
    BreakGlassAccess,
    Event,
    FollowUpMember,
    Goal,
    JoinRequest,
    Note,
    Pathway,
    ReferentHandover,
)
from parcours.pathways.selectors import current_referent, pathways_visible_to
from parcours.pathways.services import (
    action_create,
    action_set_status,
    appointment_create,
    appointment_set_status,
    break_glass_open,
    goal_create,
    goal_update,
    join_request_create,
    join_request_decide,
    member_add,
    member_end,
    note_create,
    pathway_close,
    pathway_open,
    referent_change,
)
from tests.factories import (
    ActionFactory,
    FollowUpMemberFactory,
    GoalFactory,
    MembershipFactory,
    PersonFactory,
    TerritoryGrantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WRITTEN_MODELS = (FollowUpMember, ReferentHandover, Event, AuditEntry, Goal, Action, Note, Appointment, JoinRequest)


def _counts():
    return {model.__name__: model.objects.count() for model in WRITTEN_MODELS}


@pytest.fixture
def officer(pathway):
    """A chargé·e d'orientation with a territory grant on the pathway's département."""
    return TerritoryGrantFactory(departement=pathway.departement).membership


@pytest.fixture
def member(pathway):
    """A plain member of the follow-up group (not the referent)."""
    return FollowUpMemberFactory(pathway=pathway).membership


def _change(pathway, actor, new, **kwargs):
    params = {"reason": "Déménagement", "handover_note": "Suivi logement en cours.", "keep_previous_in_group": True}
    params.update(kwargs)
    return referent_change(pathway=pathway, new_membership=new, membership=actor, acting_user=actor.user, **params)


def _close(pathway):
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    pathway.refresh_from_db()


# --- pathway_open / pathway_close -------------------------------------------------------------


def test_pathway_open_seats_the_opener_as_referent(membership):
    person = PersonFactory()
    pathway = pathway_open(person=person, membership=membership, acting_user=membership.user)
    assert current_referent(pathway=pathway).membership == membership
    assert Event.objects.filter(pathway=pathway, kind=EventKind.PATHWAY_OPENED).count() == 1


def test_pathway_open_refuses_a_second_open_pathway(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        pathway_open(person=pathway.person, membership=membership, acting_user=membership.user)
    assert exc.value.messages == ["Cette personne a déjà un parcours en cours."]
    assert _counts() == before
    assert Pathway.objects.count() == 1


def test_pathway_open_after_closure_is_allowed(pathway, membership):
    _close(pathway)
    again = pathway_open(person=pathway.person, membership=membership, acting_user=membership.user)
    assert again.pk != pathway.pk


def test_database_refuses_two_open_pathways_for_one_person(pathway):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pathway.objects.create(person=pathway.person, departement=pathway.departement)


def test_database_refuses_a_closed_pathway_without_closing_date(pathway):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED)


def test_referent_closes_the_pathway_and_every_seat_ends(pathway, membership, member):
    pathway_close(pathway=pathway, reason="Emploi durable", membership=membership, acting_user=membership.user)
    pathway.refresh_from_db()
    assert pathway.status == PathwayStatus.CLOSED and pathway.closed_at and pathway.closure_reason == "Emploi durable"
    assert not FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True).exists()


def test_orientation_officer_closes_the_pathway(pathway, officer):
    pathway_close(pathway=pathway, reason="Déménagement hors département", membership=officer, acting_user=officer.user)
    assert Pathway.objects.get(pk=pathway.pk).status == PathwayStatus.CLOSED


def test_plain_member_cannot_close_the_pathway(pathway, member):
    before = _counts()
    with pytest.raises(PermissionDenied):
        pathway_close(pathway=pathway, reason="Emploi", membership=member, acting_user=member.user)
    assert Pathway.objects.get(pk=pathway.pk).status == PathwayStatus.OPEN
    assert _counts() == before


def test_closing_requires_a_reason(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        pathway_close(pathway=pathway, reason="  ", membership=membership, acting_user=membership.user)
    assert exc.value.message_dict["reason"] == ["Indiquez le motif de clôture."]
    assert _counts() == before


def test_closing_twice_is_refused(pathway, membership):
    pathway_close(pathway=pathway, reason="Emploi", membership=membership, acting_user=membership.user)
    with pytest.raises(ValidationError) as exc:
        pathway_close(pathway=pathway, reason="Emploi", membership=membership, acting_user=membership.user)
    assert exc.value.messages == ["Ce parcours est clos : il ne peut plus être modifié."]


def test_closing_with_an_oversized_reason_is_refused_in_french(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        pathway_close(pathway=pathway, reason="x" * 301, membership=membership, acting_user=membership.user)
    assert "300" in exc.value.message_dict["reason"][0]
    assert _counts() == before


# --- referent_change --------------------------------------------------------------------------


def test_referent_hands_over_to_a_colleague(pathway, membership):
    new = MembershipFactory(rsa=True)
    handover = _change(pathway, membership, new)
    assert current_referent(pathway=pathway).membership == new
    assert handover.previous.membership == membership and handover.new.membership == new
    assert handover.reason == "Déménagement" and handover.handover_note == "Suivi logement en cours."
    assert handover.decided_by == membership.user


def test_orientation_officer_with_grant_changes_the_referent(pathway, officer):
    new = MembershipFactory()
    _change(pathway, officer, new)
    assert current_referent(pathway=pathway).membership == new


def test_orientation_officer_without_grant_cannot_change_the_referent(pathway, membership):
    officer = MembershipFactory(orientation=True)
    before = _counts()
    with pytest.raises(PermissionDenied):
        _change(pathway, officer, MembershipFactory())
    assert current_referent(pathway=pathway).membership == membership
    assert _counts() == before


def test_orientation_officer_with_revoked_grant_cannot_change_the_referent(pathway, membership):
    grant = TerritoryGrantFactory(departement=pathway.departement, revoked_at=timezone.now())
    with pytest.raises(PermissionDenied):
        _change(pathway, grant.membership, MembershipFactory())
    assert current_referent(pathway=pathway).membership == membership


def test_plain_member_cannot_change_the_referent(pathway, membership, member):
    before = _counts()
    with pytest.raises(PermissionDenied) as exc:
        _change(pathway, member, member)
    assert "Seul·e le·la référent·e" in str(exc.value)
    assert current_referent(pathway=pathway).membership == membership
    assert _counts() == before


def test_referent_under_another_membership_cannot_change_the_referent(pathway, membership):
    same_user_elsewhere = MembershipFactory(user=membership.user)
    with pytest.raises(PermissionDenied):
        _change(pathway, same_user_elsewhere, MembershipFactory())


@pytest.mark.parametrize(
    "field,kwargs,message",
    [
        ("reason", {"reason": " "}, "Indiquez le motif du changement de référent."),
        (
            "handover_note",
            {"handover_note": ""},
            "Rédigez une note de passation pour le·la nouveau·elle référent·e.",
        ),
        ("handover_note", {"handover_note": "x" * 5001}, "La note de passation ne peut dépasser 5 000 caractères."),
    ],
)
def test_referent_change_bad_input_is_refused_and_nothing_written(pathway, membership, field, kwargs, message):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _change(pathway, membership, MembershipFactory(), **kwargs)
    assert exc.value.message_dict[field] == [message]
    assert _counts() == before
    assert current_referent(pathway=pathway).membership == membership


def test_referent_change_with_a_300_character_reason_is_accepted(pathway, membership):
    _change(pathway, membership, MembershipFactory(), reason="r" * 300)
    assert ReferentHandover.objects.get(pathway=pathway).reason == "r" * 300


def test_referent_change_with_an_oversized_reason_is_refused_in_french(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _change(pathway, membership, MembershipFactory(), reason="r" * 301)
    assert "300" in exc.value.message_dict["reason"][0]
    assert _counts() == before


@pytest.mark.parametrize("role", [Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_new_referent_must_have_an_accompanying_role(pathway, membership, role):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _change(pathway, membership, MembershipFactory(role=role))
    assert "ne peut pas être référent·e" in exc.value.message_dict["new_membership"][0]
    assert _counts() == before


def test_new_referent_must_be_active(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _change(pathway, membership, MembershipFactory(is_active=False))
    assert "new_membership" in exc.value.message_dict


def test_handing_over_to_the_current_referent_is_refused(pathway, officer, membership):
    with pytest.raises(ValidationError) as exc:
        _change(pathway, officer, membership)
    assert exc.value.message_dict["new_membership"] == ["Cette personne est déjà le·la référent·e du parcours."]


def test_previous_referent_stays_as_member_when_asked(pathway, membership):
    _change(pathway, membership, MembershipFactory(), keep_previous_in_group=True)
    seat = FollowUpMember.objects.get(pathway=pathway, membership=membership, ended_at__isnull=True)
    assert not seat.is_referent


def test_previous_referent_leaves_when_not_kept(pathway, membership):
    _change(pathway, membership, MembershipFactory(), keep_previous_in_group=False)
    assert not FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists()
    assert pathways_visible_to(membership=membership).count() == 0


def test_referent_change_keeps_the_history_of_seats(pathway, membership):
    new = MembershipFactory()
    _change(pathway, membership, new)
    old_seat = FollowUpMember.objects.get(pathway=pathway, membership=membership, is_referent=True)
    assert old_seat.ended_at is not None
    assert old_seat.end_reason.startswith("Passation de référence")
    assert FollowUpMember.objects.filter(pathway=pathway).count() == 3  # old referent seat, member seat, new


def test_member_promoted_to_referent_has_a_single_active_seat(pathway, membership, member):
    _change(pathway, membership, member)
    active = FollowUpMember.objects.filter(pathway=pathway, membership=member, ended_at__isnull=True)
    assert [seat.is_referent for seat in active] == [True]


def test_referent_change_writes_event_and_audit(pathway, membership):
    _change(pathway, membership, MembershipFactory())
    event = Event.objects.get(pathway=pathway, kind=EventKind.REFERENT_CHANGED)
    assert "Déménagement" in event.summary
    entry = AuditEntry.objects.filter(object_type="pathways.pathway").latest("id")
    assert entry.fields == ["referent"] and entry.reason == "Déménagement"


def test_referent_change_on_a_closed_pathway_is_refused(pathway, membership):
    _close(pathway)
    with pytest.raises(ValidationError):
        _change(pathway, membership, MembershipFactory())


def test_database_refuses_a_second_active_referent(pathway):
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpMember.objects.create(pathway=pathway, membership=MembershipFactory(), is_referent=True)


def test_database_allows_a_new_referent_once_the_previous_seat_ended(pathway):
    FollowUpMember.objects.filter(pathway=pathway).update(ended_at=timezone.now())
    FollowUpMember.objects.create(pathway=pathway, membership=MembershipFactory(), is_referent=True)
    assert FollowUpMember.objects.filter(pathway=pathway, is_referent=True, ended_at__isnull=True).count() == 1


def test_database_refuses_two_active_seats_for_one_membership(pathway, membership):
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpMember.objects.create(pathway=pathway, membership=membership)


# --- member_add / member_end ------------------------------------------------------------------


def test_referent_adds_a_member(pathway, membership):
    new = MembershipFactory()
    seat = member_add(
        pathway=pathway, new_membership=new, reason="Suivi santé", membership=membership, acting_user=membership.user
    )
    assert seat.membership == new and not seat.is_referent and seat.start_reason == "Suivi santé"
    assert pathways_visible_to(membership=new).get() == pathway


def test_orientation_officer_adds_a_member(pathway, officer):
    new = MembershipFactory()
    member_add(pathway=pathway, new_membership=new, reason="Suivi", membership=officer, acting_user=officer.user)
    assert FollowUpMember.objects.filter(pathway=pathway, membership=new, ended_at__isnull=True).exists()


def test_plain_member_cannot_add_a_member(pathway, member):
    before = _counts()
    with pytest.raises(PermissionDenied):
        member_add(
            pathway=pathway, new_membership=MembershipFactory(), reason="x", membership=member, acting_user=member.user
        )
    assert _counts() == before


def test_adding_a_member_requires_a_reason(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        member_add(
            pathway=pathway,
            new_membership=MembershipFactory(),
            reason="",
            membership=membership,
            acting_user=membership.user,
        )
    assert exc.value.message_dict["reason"] == ["Indiquez pourquoi ce·tte professionnel·le rejoint le groupe."]
    assert _counts() == before


def test_adding_a_pilote_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        member_add(
            pathway=pathway,
            new_membership=MembershipFactory(pilote=True),
            reason="x",
            membership=membership,
            acting_user=membership.user,
        )
    assert "new_membership" in exc.value.message_dict


def test_adding_a_current_member_again_is_refused(pathway, membership, member):
    with pytest.raises(ValidationError) as exc:
        member_add(
            pathway=pathway, new_membership=member, reason="x", membership=membership, acting_user=membership.user
        )
    assert exc.value.message_dict["new_membership"] == ["Ce·tte professionnel·le fait déjà partie du groupe de suivi."]


def test_member_leaves_the_group_by_themself(pathway, member):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=member)
    member_end(seat=seat, reason="Fin de l'atelier", membership=member, acting_user=member.user)
    seat.refresh_from_db()
    assert seat.ended_at is not None and seat.end_reason == "Fin de l'atelier"
    assert pathways_visible_to(membership=member).count() == 0


def test_referent_removes_a_member(pathway, membership, member):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=member)
    member_end(seat=seat, reason="Fin", membership=membership, acting_user=membership.user)
    assert FollowUpMember.objects.get(pk=seat.pk).ended_at is not None


def test_member_cannot_remove_another_member(pathway, member):
    other_seat = FollowUpMemberFactory(pathway=pathway)
    with pytest.raises(PermissionDenied):
        member_end(seat=other_seat, reason="Fin", membership=member, acting_user=member.user)
    assert FollowUpMember.objects.get(pk=other_seat.pk).ended_at is None


def test_referent_cannot_leave_without_a_handover(pathway, membership):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=membership)
    with pytest.raises(ValidationError) as exc:
        member_end(seat=seat, reason="Départ", membership=membership, acting_user=membership.user)
    assert exc.value.messages == ["Le·la référent·e ne quitte le groupe qu'après un changement de référent."]
    assert FollowUpMember.objects.get(pk=seat.pk).ended_at is None


def test_ending_an_ended_seat_is_refused(pathway, member):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=member)
    member_end(seat=seat, reason="Fin", membership=member, acting_user=member.user)
    with pytest.raises(ValidationError):
        member_end(seat=seat, reason="Fin", membership=member, acting_user=member.user)


def test_leaving_requires_a_reason(pathway, member):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=member)
    with pytest.raises(ValidationError) as exc:
        member_end(seat=seat, reason="", membership=member, acting_user=member.user)
    assert exc.value.message_dict["reason"] == ["Indiquez le motif de sortie du groupe."]
    assert FollowUpMember.objects.get(pk=seat.pk).ended_at is None


# --- goals, actions, appointments, notes: members only ----------------------------------------


def test_member_creates_a_goal(pathway, member):
    goal = goal_create(
        pathway=pathway,
        theme="logement",
        text=" Trouver un logement ",
        agreed_by_person=True,
        membership=member,
        acting_user=member.user,
    )
    assert goal.text == "Trouver un logement" and goal.agreed_by_person and goal.created_by == member.user
    assert "validé avec la personne" in Event.objects.get(kind=EventKind.GOAL_ADDED).summary


def test_non_member_cannot_create_a_goal(pathway):
    outsider = MembershipFactory()
    before = _counts()
    with pytest.raises(PermissionDenied):
        goal_create(
            pathway=pathway,
            theme="logement",
            text="x",
            agreed_by_person=False,
            membership=outsider,
            acting_user=outsider.user,
        )
    assert _counts() == before


def test_ended_member_cannot_create_a_goal(pathway):
    ended = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now()).membership
    with pytest.raises(PermissionDenied):
        goal_create(
            pathway=pathway,
            theme="logement",
            text="x",
            agreed_by_person=False,
            membership=ended,
            acting_user=ended.user,
        )


def test_deactivated_membership_cannot_write_even_with_a_seat(pathway, member):
    member.is_active = False
    member.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        goal_create(
            pathway=pathway,
            theme="logement",
            text="x",
            agreed_by_person=False,
            membership=member,
            acting_user=member.user,
        )


def test_goal_with_unknown_theme_is_refused(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        goal_create(
            pathway=pathway,
            theme="astrologie",
            text="x",
            agreed_by_person=False,
            membership=membership,
            acting_user=membership.user,
        )
    assert "theme" in exc.value.message_dict
    assert (
        "n’est pas un choix valide" in exc.value.message_dict["theme"][0]
        or "choix valide" in exc.value.message_dict["theme"][0]
    )
    assert _counts() == before


def test_goal_with_empty_text_is_refused_in_french(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        goal_create(
            pathway=pathway,
            theme="emploi",
            text="  ",
            agreed_by_person=False,
            membership=membership,
            acting_user=membership.user,
        )
    assert exc.value.message_dict["text"] == ["Ce champ ne peut pas être vide."]
    assert not Goal.objects.exists()


def test_goal_on_a_closed_pathway_is_refused(pathway, membership):
    _close(pathway)
    with pytest.raises(ValidationError):
        goal_create(
            pathway=pathway,
            theme="emploi",
            text="x",
            agreed_by_person=False,
            membership=membership,
            acting_user=membership.user,
        )


def test_goal_update_records_agreement_and_status(pathway, membership):
    goal = GoalFactory(pathway=pathway, agreed_by_person=False)
    goal_update(
        goal=goal, status=GoalStatus.ACHIEVED, agreed_by_person=True, membership=membership, acting_user=membership.user
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED and goal.agreed_by_person
    entry = AuditEntry.objects.filter(object_type="pathways.goal").latest("id")
    assert entry.fields == ["agreed_by_person", "status"]


def test_goal_update_with_unknown_status_is_refused(pathway, membership):
    goal = GoalFactory(pathway=pathway)
    with pytest.raises(ValidationError) as exc:
        goal_update(
            goal=goal, status="peut-être", agreed_by_person=True, membership=membership, acting_user=membership.user
        )
    assert exc.value.message_dict["status"] == ["Statut d'objectif inconnu."]


def test_member_creates_an_action_carried_by_their_organisation(pathway, member):
    goal = GoalFactory(pathway=pathway)
    due = timezone.localdate() + datetime.timedelta(days=10)
    action = action_create(goal=goal, text="Inscription CAP", due_on=due, membership=member, acting_user=member.user)
    assert action.status == ActionStatus.PLANNED and action.carried_by == member.organisation and action.due_on == due


def test_action_kind_is_recorded_and_an_unknown_kind_refused(pathway, membership):
    goal = GoalFactory(pathway=pathway)
    action = action_create(
        goal=goal,
        text="Cours OFII",
        due_on=None,
        kind="french_course",
        membership=membership,
        acting_user=membership.user,
    )
    assert action.kind == "french_course"
    with pytest.raises(ValidationError) as exc:
        action_create(
            goal=goal, text="x", due_on=None, kind="magic", membership=membership, acting_user=membership.user
        )
    assert exc.value.message_dict["kind"] == ["Choisissez un type d'action proposé."]
    assert Action.objects.count() == 1


def test_action_finish_time_is_set_when_it_finishes(pathway, membership):
    goal = GoalFactory(pathway=pathway)
    action = action_create(goal=goal, text="x", due_on=None, membership=membership, acting_user=membership.user)
    assert action.finished_at is None
    action = action_set_status(action=action, status="abandoned", membership=membership, acting_user=membership.user)
    assert action.finished_at is not None


def test_non_member_cannot_create_an_action(pathway):
    goal = GoalFactory(pathway=pathway)
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        action_create(goal=goal, text="x", due_on=None, membership=outsider, acting_user=outsider.user)
    assert not Action.objects.exists()


def test_action_under_a_finished_goal_is_refused(pathway, membership):
    goal = GoalFactory(pathway=pathway, status=GoalStatus.ACHIEVED)
    with pytest.raises(ValidationError) as exc:
        action_create(goal=goal, text="x", due_on=None, membership=membership, acting_user=membership.user)
    assert exc.value.messages == ["On n'ajoute pas d'action à un objectif atteint ou abandonné."]
    assert not Action.objects.exists()


def test_oversized_action_text_is_refused(pathway, membership):
    goal = GoalFactory(pathway=pathway)
    with pytest.raises(ValidationError) as exc:
        action_create(goal=goal, text="x" * 301, due_on=None, membership=membership, acting_user=membership.user)
    assert "300" in exc.value.message_dict["text"][0]
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    "start,target",
    [(start, target) for start in ActionStatus for target in ActionStatus],
)
def test_action_transitions_follow_the_table(pathway, membership, start, target):
    action = ActionFactory(
        goal=GoalFactory(pathway=pathway),
        status=start,
        done_on=timezone.localdate() if start == ActionStatus.DONE else None,
    )
    if target in ACTION_TRANSITIONS[start]:
        action_set_status(action=action, status=target, membership=membership, acting_user=membership.user)
        assert Action.objects.get(pk=action.pk).status == target
    else:
        with pytest.raises(ValidationError) as exc:
            action_set_status(action=action, status=target, membership=membership, acting_user=membership.user)
        assert "ne peut pas passer à" in exc.value.message_dict["status"][0]
        assert Action.objects.get(pk=action.pk).status == start


def test_done_action_gets_a_done_date(pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    action_set_status(action=action, status=ActionStatus.DONE, membership=membership, acting_user=membership.user)
    assert Action.objects.get(pk=action.pk).done_on == timezone.localdate()


def test_done_twice_is_refused(pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    action_set_status(action=action, status=ActionStatus.DONE, membership=membership, acting_user=membership.user)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        action_set_status(action=action, status=ActionStatus.DONE, membership=membership, acting_user=membership.user)
    assert exc.value.message_dict["status"] == ["Une action « Réalisée » ne peut pas passer à « Réalisée »."]
    assert _counts() == before


def test_done_date_in_the_future_is_refused(pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    with pytest.raises(ValidationError) as exc:
        action_set_status(
            action=action,
            status=ActionStatus.DONE,
            done_on=timezone.localdate() + datetime.timedelta(days=1),
            membership=membership,
            acting_user=membership.user,
        )
    assert exc.value.message_dict["done_on"] == ["La date de réalisation ne peut pas être dans le futur."]
    assert Action.objects.get(pk=action.pk).status == ActionStatus.PLANNED


def test_unknown_action_status_is_refused(pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    with pytest.raises(ValidationError) as exc:
        action_set_status(action=action, status="bientôt", membership=membership, acting_user=membership.user)
    assert exc.value.message_dict["status"] == ["Statut d'action inconnu."]


def test_non_member_cannot_change_an_action(pathway):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        action_set_status(action=action, status=ActionStatus.DONE, membership=outsider, acting_user=outsider.user)
    assert Action.objects.get(pk=action.pk).status == ActionStatus.PLANNED


def test_database_refuses_a_done_date_on_an_unfinished_action(pathway):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionFactory(goal=GoalFactory(pathway=pathway), done_on=timezone.localdate())


def _appointment(pathway, membership, **overrides):
    params = {
        "starts_at": timezone.now() + datetime.timedelta(days=2),
        "duration_minutes": 45,
        "mode": AppointmentMode.IN_PERSON,
        "subject": "Point d'étape",
        "place": "Agence de Nantes",
        "interpreter_booked": True,
    }
    params.update(overrides)
    return appointment_create(pathway=pathway, membership=membership, acting_user=membership.user, **params)


def test_member_plans_an_appointment_with_themself(pathway, member):
    appointment = _appointment(pathway, member)
    assert appointment.with_member == member and appointment.status == AppointmentStatus.PLANNED


def test_non_member_cannot_plan_an_appointment(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        _appointment(pathway, outsider)
    assert not Appointment.objects.exists()


def test_appointment_with_unknown_mode_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _appointment(pathway, membership, mode="pigeon")
    assert "mode" in exc.value.message_dict
    assert not Appointment.objects.exists()


def test_appointment_status_changes_once(pathway, membership):
    appointment = _appointment(pathway, membership)
    appointment_set_status(
        appointment=appointment, status=AppointmentStatus.HELD, membership=membership, acting_user=membership.user
    )
    with pytest.raises(ValidationError) as exc:
        appointment_set_status(
            appointment=appointment, status=AppointmentStatus.MISSED, membership=membership, acting_user=membership.user
        )
    assert "Seul un rendez-vous prévu" in exc.value.message_dict["status"][0]
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.HELD


def test_member_writes_a_note(pathway, member):
    note = note_create(pathway=pathway, text="Entretien positif.", membership=member, acting_user=member.user)
    assert note.organisation == member.organisation and note.author == member.user


def test_non_member_cannot_write_a_note(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        note_create(pathway=pathway, text="x", membership=outsider, acting_user=outsider.user)
    assert not Note.objects.exists()


def test_oversized_note_is_refused_in_french(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        note_create(pathway=pathway, text="x" * 5001, membership=membership, acting_user=membership.user)
    assert "5000" in exc.value.message_dict["text"][0] or "5 000" in exc.value.message_dict["text"][0]
    assert _counts() == before


def test_writing_without_membership_is_refused(pathway):
    with pytest.raises(PermissionDenied) as exc:
        note_create(pathway=pathway, text="x", membership=None, acting_user=UserFactory())
    assert exc.value.args[0] == "Vous devez agir au nom d'une organisation."


# --- join requests ----------------------------------------------------------------------------


def _ask(pathway, requester, reason="Suivi emploi"):
    return join_request_create(pathway=pathway, reason=reason, membership=requester, acting_user=requester.user)


def test_professional_asks_to_join(pathway):
    requester = MembershipFactory()
    request = _ask(pathway, requester)
    assert request.status == JoinRequestStatus.PENDING
    assert pathways_visible_to(membership=requester).count() == 0  # nothing more until accepted


def test_duplicate_pending_request_is_refused(pathway):
    requester = MembershipFactory()
    _ask(pathway, requester)
    with pytest.raises(ValidationError) as exc:
        _ask(pathway, requester)
    assert exc.value.messages == ["Une demande est déjà en attente pour ce parcours."]
    assert JoinRequest.objects.count() == 1


def test_member_cannot_ask_to_join_again(pathway, member):
    with pytest.raises(ValidationError) as exc:
        _ask(pathway, member)
    assert exc.value.messages == ["Vous faites déjà partie du groupe de suivi."]


def test_pilote_cannot_ask_to_join(pathway):
    with pytest.raises(PermissionDenied):
        _ask(pathway, MembershipFactory(pilote=True))
    assert not JoinRequest.objects.exists()


def test_join_request_requires_a_reason(pathway):
    with pytest.raises(ValidationError) as exc:
        _ask(pathway, MembershipFactory(), reason=" ")
    assert "reason" in exc.value.message_dict
    assert not JoinRequest.objects.exists()


def test_join_request_on_a_closed_pathway_is_refused(pathway):
    _close(pathway)
    with pytest.raises(ValidationError):
        _ask(pathway, MembershipFactory())
    assert not JoinRequest.objects.exists()


def test_referent_accepts_and_the_requester_gets_a_seat(pathway, membership):
    requester = MembershipFactory()
    request = _ask(pathway, requester)
    join_request_decide(join_request=request, accept=True, membership=membership, acting_user=membership.user)
    request.refresh_from_db()
    assert request.status == JoinRequestStatus.ACCEPTED and request.decided_by == membership.user
    assert pathways_visible_to(membership=requester).get() == pathway


def test_referent_refuses_and_no_seat_is_created(pathway, membership):
    requester = MembershipFactory()
    request = _ask(pathway, requester)
    join_request_decide(join_request=request, accept=False, membership=membership, acting_user=membership.user)
    assert JoinRequest.objects.get(pk=request.pk).status == JoinRequestStatus.REFUSED
    assert not FollowUpMember.objects.filter(membership=requester).exists()


def test_plain_member_cannot_decide_a_join_request(pathway, member):
    request = _ask(pathway, MembershipFactory())
    with pytest.raises(PermissionDenied):
        join_request_decide(join_request=request, accept=True, membership=member, acting_user=member.user)
    assert JoinRequest.objects.get(pk=request.pk).status == JoinRequestStatus.PENDING


def test_join_request_is_decided_once(pathway, membership):
    request = _ask(pathway, MembershipFactory())
    join_request_decide(join_request=request, accept=False, membership=membership, acting_user=membership.user)
    with pytest.raises(ValidationError) as exc:
        join_request_decide(join_request=request, accept=True, membership=membership, acting_user=membership.user)
    assert exc.value.messages == ["Cette demande a déjà reçu une réponse."]


def test_accepting_a_requester_who_joined_meanwhile_is_refused_cleanly(pathway, membership):
    requester = MembershipFactory()
    request = _ask(pathway, requester)
    member_add(
        pathway=pathway,
        new_membership=requester,
        reason="Ajout direct",
        membership=membership,
        acting_user=membership.user,
    )
    with pytest.raises(ValidationError):
        join_request_decide(join_request=request, accept=True, membership=membership, acting_user=membership.user)
    assert FollowUpMember.objects.filter(pathway=pathway, membership=requester, ended_at__isnull=True).count() == 1


def test_join_request_cannot_be_accepted_on_a_closed_pathway(pathway, membership):
    request = _ask(pathway, MembershipFactory())
    pathway_close(pathway=pathway, reason="Emploi", membership=membership, acting_user=membership.user)
    with pytest.raises((ValidationError, PermissionDenied)):
        join_request_decide(join_request=request, accept=True, membership=membership, acting_user=membership.user)
    assert not FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True).exists()


# --- break-glass ------------------------------------------------------------------------------

REASON = "Réquisition judiciaire n° 2024-118 reçue ce jour"


def test_superuser_opens_a_break_glass_access_that_shows_the_pathway(pathway):
    admin = UserFactory(is_superuser=True)
    access = break_glass_open(pathway=pathway, reason=REASON, acting_user=admin)
    assert access.expires_at > timezone.now()
    assert pathways_visible_to(membership=None, user=admin).get() == pathway
    entry = AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).get()
    assert entry.person_id == pathway.person_id and entry.reason == REASON


def test_non_superuser_cannot_open_a_break_glass_access(pathway):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        break_glass_open(pathway=pathway, reason=REASON, acting_user=user)
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_requires_a_20_character_reason(pathway):
    admin = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError) as exc:
        break_glass_open(pathway=pathway, reason="  pour voir          ", acting_user=admin)
    assert exc.value.message_dict["reason"] == ["Motivez l'accès exceptionnel (20 caractères au moins)."]
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_with_an_oversized_reason_is_refused_in_french(pathway):
    admin = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError) as exc:
        break_glass_open(pathway=pathway, reason="x" * 501, acting_user=admin)
    assert "500" in exc.value.message_dict["reason"][0]
    assert not BreakGlassAccess.objects.exists()


@override_settings(BREAK_GLASS_MINUTES=0)
def test_break_glass_expiry_is_honoured(pathway):
    admin = UserFactory(is_superuser=True)
    access = break_glass_open(pathway=pathway, reason=REASON, acting_user=admin)
    assert access.expires_at <= timezone.now()
    assert pathways_visible_to(membership=None, user=admin).count() == 0


# orientation_decide is tested in tests/pathways/test_orientation.py.


def test_deactivated_orientation_officer_can_no_longer_change_the_referent(db):
    from django.core.exceptions import PermissionDenied as Refused

    from parcours.pathways.services import referent_change
    from tests.factories import MembershipFactory, PathwayFactory, TerritoryGrantFactory

    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    officer = TerritoryGrantFactory(departement=pathway.departement).membership
    officer.user.is_active = False
    officer.user.save(update_fields=["is_active"])
    with pytest.raises(Refused):
        referent_change(
            pathway=pathway,
            new_membership=MembershipFactory(),
            reason="r",
            handover_note="n",
            membership=officer,
            acting_user=officer.user,
        )
    assert pathway.members.get(is_referent=True, ended_at__isnull=True).membership == referent


def test_goal_update_and_appointment_outcome_are_refused_outside_the_group(db):
    from django.core.exceptions import PermissionDenied as Refused

    from parcours.pathways.models import Appointment, Goal
    from parcours.pathways.services import appointment_set_status, goal_update
    from tests.factories import AppointmentFactory, GoalFactory, MembershipFactory, PathwayFactory

    pathway = PathwayFactory()
    goal = GoalFactory(pathway=pathway)
    appointment = AppointmentFactory(pathway=pathway)
    outsider = MembershipFactory()
    with pytest.raises(Refused):
        goal_update(goal=goal, status="achieved", agreed_by_person=True, membership=outsider, acting_user=outsider.user)
    with pytest.raises(Refused):
        appointment_set_status(appointment=appointment, status="held", membership=outsider, acting_user=outsider.user)
    assert Goal.objects.get(pk=goal.pk).status == "in_progress"
    assert Appointment.objects.get(pk=appointment.pk).status == "planned"
