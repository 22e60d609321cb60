"""Referral services: creation (rights, service, zone, message, need, sharing profile, consent and
override) and every move of the state machine, each with its allowed and refused cases. A refused
request changes nothing: the row is reloaded and the transitions counted."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.directory.models import Structure
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind, GoalStatus, PathwayStatus
from parcours.pathways.models import Event, FollowUpMember, Pathway
from parcours.people.enums import ConsentPurpose, DataCategory
from parcours.referrals.enums import (
    LinkPurpose,
    ReferralOutcome,
    ReferralStatus,
    RefusalReason,
    TransitionChannel,
)
from parcours.referrals.models import Referral, ReferralLink, ReferralTransition
from parcours.referrals.services import (
    ReferralConflict,
    referral_accept,
    referral_cancel,
    referral_close,
    referral_create,
    referral_mark_seen,
    referral_read_audit,
    referral_refuse,
    referral_start,
)
from parcours.territories.models import Epci
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.factories import (
    CommuneFactory,
    ConsentFactory,
    DepartementFactory,
    FollowUpMemberFactory,
    GoalFactory,
    MembershipFactory,
    PathwayFactory,
    PersonFactory,
)
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def create(pathway, service, membership, **overrides):
    arguments = {
        "pathway": pathway,
        "service": service,
        "theme": "emploi",
        "message": "Bonjour, Mme X cherche un atelier CV.",
        "shared_categories": ["contact"],
        "membership": membership,
        "acting_user": membership.user,
    }
    arguments.update(overrides)
    return referral_create(**arguments)


def assert_unchanged(referral, status, transitions):
    referral.refresh_from_db()
    assert referral.status == status
    assert ReferralTransition.objects.filter(referral=referral).count() == transitions


# --- creation ------------------------------------------------------------------------------


def test_member_of_the_group_sends_a_referral(
    pathway, membership, service, recipient, django_capture_on_commit_callbacks
):
    before = Pathway.objects.get(pk=pathway.pk).last_activity_at
    with django_capture_on_commit_callbacks(execute=True):
        referral = create(pathway, service, membership)
    assert referral.status == ReferralStatus.SENT
    assert referral.recipient_organisation == service.operator
    assert referral.recipient_email == "accueil@trait-union.example"
    assert referral.sla_days == service.referral_sla_days == 10
    assert referral.due_at == referral.sent_at + datetime.timedelta(days=10)
    assert referral.shared_categories == ["identity", "contact"]
    assert referral.shared_data["name"] == pathway.person.full_name
    sections = {s["category"]: dict(s["fields"]) for s in referral.shared_data["sections"]}
    assert sections["identity"]["Prénom"] == pathway.person.first_name
    assert sections["identity"]["Date de naissance"] == pathway.person.birth_date.strftime("%d/%m/%Y")
    assert sections["contact"]["Commune"] == "Nantes (44109)"
    transition = ReferralTransition.objects.get(referral=referral)
    assert (transition.from_status, transition.to_status, transition.channel) == ("", "sent", TransitionChannel.APP)
    assert Event.objects.filter(pathway=pathway, kind=EventKind.REFERRAL_SENT).count() == 1
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="referrals.referral", person=pathway.person
    ).exists()
    assert Pathway.objects.get(pk=pathway.pk).last_activity_at > before
    # The recipient organisation's members are told, with the page of the referral; no link.
    assert [m.to for m in mail.outbox] == [["conseil@trait-union.example"]]
    assert f"/prescriptions/{referral.pk}/" in mail.outbox[0].body
    assert not ReferralLink.objects.exists()


def test_professional_outside_the_group_cannot_send(pathway, service):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        create(pathway, service, outsider)
    assert not Referral.objects.exists()


def test_member_whose_seat_ended_cannot_send(pathway, service):
    seat = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now())
    with pytest.raises(PermissionDenied):
        create(pathway, service, seat.membership)
    assert not Referral.objects.exists()


def test_closed_pathway_cannot_send(pathway, membership, service):
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    with pytest.raises(ValidationError, match="clos"):
        create(pathway, service, membership)
    assert not Referral.objects.exists()


@pytest.mark.parametrize(("trait", "message"), [("archived", "Ce service est archivé"), ("draft", "pas publié")])
def test_archived_or_draft_service_is_refused(pathway, membership, recipient_org, trait, message):
    service = ServiceFactory(operator=recipient_org, **{trait: True})
    with pytest.raises(ValidationError, match=message):
        create(pathway, service, membership)
    assert not Referral.objects.exists()


def test_service_without_operator_nor_email_is_refused(pathway, membership):
    service = ServiceFactory(operator=None, courriel="")
    with pytest.raises(ValidationError, match="ne peut pas recevoir de prescription"):
        create(pathway, service, membership)
    assert not Referral.objects.exists()


def test_service_of_an_inactive_organisation_goes_to_the_structure_address(pathway, membership, recipient_org):
    recipient_org.is_active = False
    recipient_org.save()
    structure = StructureFactory(courriel="contact@structure.example")
    service = ServiceFactory(operator=recipient_org, structure=structure, courriel="")
    referral = create(pathway, service, membership)
    assert referral.recipient_organisation is None
    assert referral.recipient_email == "contact@structure.example"


@pytest.mark.parametrize("zone", [[], ["france"], ["99100"], ["44"], ["44109"], ["44", "49"]])
def test_zone_covering_the_person_is_accepted(pathway, membership, recipient_org, zone):
    service = ServiceFactory(operator=recipient_org, zone_eligibilite=zone)
    assert create(pathway, service, membership).status == ReferralStatus.SENT


def test_zone_by_epci_is_accepted(membership, recipient_org):
    epci = Epci.objects.create(code="244400404", name="Nantes Métropole")
    commune = CommuneFactory()
    commune.epci = epci
    commune.save()
    pathway = PathwayFactory(referent=membership, person=PersonFactory(commune=commune))
    service = ServiceFactory(operator=recipient_org, zone_eligibilite=["244400404"])
    assert create(pathway, service, membership).status == ReferralStatus.SENT


def test_zone_excluding_the_person_is_refused(pathway, membership, recipient_org):
    DepartementFactory(code="49", name="Maine-et-Loire", region_code="52")
    service = ServiceFactory(operator=recipient_org, zone_eligibilite=["49"])
    with pytest.raises(ValidationError, match="pas ouvert aux habitant·es de Nantes") as exc:
        create(pathway, service, membership)
    assert "Maine-et-Loire (49)" in str(exc.value)
    assert not Referral.objects.exists()


def test_region_code_does_not_count_as_a_zone(pathway, membership, recipient_org):
    # "52" is the région of Nantes, but as a zone code it names the Haute-Marne département.
    service = ServiceFactory(operator=recipient_org, zone_eligibilite=["52"])
    with pytest.raises(ValidationError):
        create(pathway, service, membership)


def test_person_without_commune_only_reaches_services_open_everywhere(membership, recipient_org):
    pathway = PathwayFactory(referent=membership, person=PersonFactory(commune=None))
    open_service = ServiceFactory(operator=recipient_org, zone_eligibilite=["france"])
    local_service = ServiceFactory(operator=recipient_org, zone_eligibilite=["44"])
    assert create(pathway, open_service, membership).status == ReferralStatus.SENT
    with pytest.raises(ValidationError, match="commune de la personne n'est pas renseignée"):
        create(pathway, local_service, membership)
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(("message", "error"), [("   ", "Rédigez un message"), ("x" * 2001, "2 000 caractères")])
def test_blank_or_too_long_message_is_refused(pathway, membership, service, message, error):
    with pytest.raises(ValidationError, match=error):
        create(pathway, service, membership, message=message)
    assert not Referral.objects.exists()


def test_message_of_2000_characters_is_accepted(pathway, membership, service):
    assert len(create(pathway, service, membership, message="x" * 2000).message) == 2000


def test_unknown_theme_is_refused(pathway, membership, service):
    with pytest.raises(ValidationError, match="besoin"):
        create(pathway, service, membership, theme="astrologie")
    assert not Referral.objects.exists()


def test_goal_of_the_pathway_gives_its_theme(pathway, membership, service):
    goal = GoalFactory(pathway=pathway, theme="mobilite")
    referral = create(pathway, service, membership, goal=goal, theme="emploi")
    assert (referral.goal, referral.theme) == (goal, "mobilite")


def test_goal_of_another_pathway_or_finished_is_refused(pathway, membership, service):
    other = GoalFactory()
    with pytest.raises(ValidationError, match="n'appartient pas à ce parcours"):
        create(pathway, service, membership, goal=other)
    done = GoalFactory(pathway=pathway, status=GoalStatus.ACHIEVED)
    with pytest.raises(ValidationError, match="atteint ou abandonné"):
        create(pathway, service, membership, goal=done)
    assert not Referral.objects.exists()


def test_unknown_category_is_refused(pathway, membership, service):
    with pytest.raises(ValidationError, match="inconnue"):
        create(pathway, service, membership, shared_categories=["bank_account"])
    assert not Referral.objects.exists()


def test_person_agreement_to_join_is_kept(pathway, membership, service):
    assert create(pathway, service, membership, person_agrees_follow_up=True).person_agrees_follow_up


# --- sensitive categories: consent, override ---------------------------------------------------


def _sender_may_read(pathway, membership, category=DataCategory.RESIDENCE_STATUS):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=category)


def test_sensitive_category_travels_with_consent_for_the_recipient(membership, service, recipient_org):
    pathway = PathwayFactory(referent=membership, person=PersonFactory(refugee=True))
    _sender_may_read(pathway, membership)
    ConsentFactory(
        person=pathway.person,
        organisation=recipient_org,
        category=DataCategory.RESIDENCE_STATUS,
        purpose=ConsentPurpose.REFERRAL,
    )
    referral = create(pathway, service, membership, shared_categories=["residence_status"])
    assert referral.shared_categories == ["identity", "residence_status"]
    section = next(s for s in referral.shared_data["sections"] if s["category"] == "residence_status")
    assert dict(section["fields"])["Titre de séjour"] == "Carte de résident (10 ans)"
    assert referral.overridden_by is None and referral.override_reason == ""


def test_sensitive_category_without_consent_is_refused_naming_it(pathway, membership, service, recipient_org):
    _sender_may_read(pathway, membership)
    # A consent for the accompaniment, or for another organisation, does not cover the referral.
    ConsentFactory(person=pathway.person, organisation=recipient_org, category=DataCategory.RESIDENCE_STATUS)
    with pytest.raises(ValidationError, match="droit au séjour") as exc:
        create(pathway, service, membership, shared_categories=["residence_status"])
    assert "n'a pas consenti" in str(exc.value)
    assert not Referral.objects.exists()


def test_sender_cannot_share_a_category_they_cannot_read(pathway, membership, service, recipient_org):
    ConsentFactory(
        person=pathway.person,
        organisation=recipient_org,
        category=DataCategory.DISABILITY,
        purpose=ConsentPurpose.REFERRAL,
    )
    with pytest.raises(PermissionDenied, match="handicap"):
        create(pathway, service, membership, shared_categories=["disability"])
    assert not Referral.objects.exists()


def test_referent_overrides_with_a_reason(pathway, membership, service, django_capture_on_commit_callbacks):
    _sender_may_read(pathway, membership)
    referral = create(
        pathway,
        service,
        membership,
        shared_categories=["residence_status"],
        override_reason="Titre expiré : l'association doit l'aider à le renouveler cette semaine.",
    )
    assert referral.overridden_by == membership.user
    assert referral.override_reason.startswith("Titre expiré")
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="referrals.referral")
    assert entry.person_id == pathway.person_id  # in the person's access log
    assert "Dérogation" in entry.reason and "Titre expiré" in entry.reason


def test_override_without_reason_is_refused(pathway, membership, service):
    _sender_may_read(pathway, membership)
    with pytest.raises(ValidationError, match="motivez une dérogation"):
        create(pathway, service, membership, shared_categories=["residence_status"], override_reason="   ")
    assert not Referral.objects.exists()


def test_override_by_a_member_who_is_not_referent_is_refused(pathway, service):
    counsellor = FollowUpMemberFactory(pathway=pathway).membership
    _sender_may_read(pathway, counsellor)
    with pytest.raises(PermissionDenied, match="référent"):
        create(pathway, service, counsellor, shared_categories=["residence_status"], override_reason="Urgence")
    assert not Referral.objects.exists()


def test_orientation_officer_of_the_group_may_override(pathway, service):
    officer = FollowUpMemberFactory(pathway=pathway, membership=MembershipFactory(role=Role.CHARGE_ORIENTATION))
    _sender_may_read(pathway, officer.membership)
    referral = create(
        pathway, service, officer.membership, shared_categories=["residence_status"], override_reason="Urgence"
    )
    assert referral.overridden_by == officer.membership.user


def test_override_reason_not_needed_is_ignored(pathway, membership, service):
    referral = create(pathway, service, membership, override_reason="Par précaution")
    assert referral.override_reason == "" and referral.overridden_by is None


def test_structure_without_account_gets_sensitive_data_only_by_override(pathway, membership):
    _sender_may_read(pathway, membership)
    service = ServiceFactory(operator=None, courriel="accueil@asso.example")
    with pytest.raises(ValidationError, match="n'a pas de compte Parcours"):
        create(pathway, service, membership, shared_categories=["residence_status"])
    referral = create(pathway, service, membership, shared_categories=["residence_status"], override_reason="Urgence")
    assert referral.recipient_organisation is None and referral.overridden_by == membership.user


def test_health_theme_needs_the_health_consent_of_the_sender(pathway, membership, service):
    with pytest.raises(PermissionDenied, match="santé"):
        create(pathway, service, membership, theme="sante")
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    referral = create(pathway, service, membership, theme="sante")
    assert Event.objects.get(pathway=pathway, kind=EventKind.REFERRAL_SENT).category == DataCategory.HEALTH
    assert referral.theme == "sante"


# --- the state machine, recipient side ---------------------------------------------------------


@pytest.fixture
def referral(pathway, service):
    return ReferralFactory(pathway=pathway, service=service)


def test_recipient_marks_seen_once(referral, recipient):
    referral_mark_seen(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_mark_seen(referral=referral, membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.SEEN, 1)


def test_member_of_another_organisation_cannot_act(referral):
    stranger = MembershipFactory()
    for action in (referral_mark_seen, referral_accept, referral_start):
        with pytest.raises(PermissionDenied):
            action(referral=referral, membership=stranger, acting_user=stranger.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


def test_pilote_or_inactive_member_of_the_recipient_cannot_act(referral, recipient_org):
    pilote = MembershipFactory(organisation=recipient_org, role=Role.PILOTE)
    inactive = MembershipFactory(organisation=recipient_org, is_active=False)
    for member in (pilote, inactive):
        with pytest.raises(PermissionDenied):
            referral_accept(referral=referral, membership=member, acting_user=member.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


@pytest.mark.parametrize("role", [Role.ADMIN_STRUCTURE, Role.PILOTE])
def test_a_role_that_does_not_accompany_cannot_act_as_recipient(referral, recipient_org, role):
    """DESIGN: a structure administrator sees the people followed, not the referrals' contents."""
    other = MembershipFactory(organisation=recipient_org, role=role)
    with pytest.raises(PermissionDenied, match="qui accompagnent les personnes"):
        referral_refuse(referral=referral, reason=RefusalReason.NO_PLACE, membership=other, acting_user=other.user)
    with pytest.raises(PermissionDenied, match="qui accompagnent les personnes"):
        referral_mark_seen(referral=referral, membership=other, acting_user=other.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.ENCADRANT, Role.REFERENT_RSA, Role.CHARGE_ORIENTATION])
def test_every_accompanying_role_of_the_recipient_may_answer(referral, recipient_org, role):
    member = MembershipFactory(organisation=recipient_org, role=role)
    referral_refuse(referral=referral, reason=RefusalReason.NO_PLACE, membership=member, acting_user=member.user)
    assert_unchanged(referral, ReferralStatus.REFUSED, 1)


def test_accept_records_who_and_tells_the_sender(referral, recipient, membership, django_capture_on_commit_callbacks):
    Pathway.objects.filter(pk=referral.pathway_id).update(last_activity_at=timezone.now() - datetime.timedelta(days=9))
    with django_capture_on_commit_callbacks(execute=True):
        referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.answered_by == recipient and referral.answered_at is not None
    transition = referral.transitions.get()
    assert (transition.from_status, transition.to_status) == ("sent", "accepted")
    assert (transition.actor, transition.organisation) == (recipient.user, recipient.organisation)
    assert Event.objects.filter(pathway=referral.pathway, kind=EventKind.REFERRAL_UPDATED).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(referral.pk)).exists()
    last = Pathway.objects.get(pk=referral.pathway_id).last_activity_at
    assert timezone.now() - last < datetime.timedelta(minutes=1)
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert "accepté" in mail.outbox[0].body


def test_accept_twice_or_refuse_after_accept_says_who_accepted(referral, recipient, recipient_org):
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    colleague = MembershipFactory(organisation=recipient_org)
    with pytest.raises(ReferralConflict, match="déjà été acceptée le .* par") as exc:
        referral_accept(referral=referral, membership=colleague, acting_user=colleague.user)
    assert recipient.user.get_full_name() in exc.value.messages[0]
    with pytest.raises(ReferralConflict, match="déjà été acceptée"):
        referral_refuse(referral=referral, reason="no_place", membership=colleague, acting_user=colleague.user)
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)


def test_accept_and_join_the_group_with_the_person_agreement(pathway, service, recipient):
    referral = ReferralFactory(pathway=pathway, service=service, person_agrees_follow_up=True)
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user, join_follow_up=True)
    assert FollowUpMember.objects.filter(pathway=pathway, membership=recipient, ended_at__isnull=True).exists()
    assert Event.objects.filter(pathway=pathway, kind=EventKind.MEMBER_ADDED).exists()


def test_join_without_the_person_agreement_is_refused(referral, recipient):
    with pytest.raises(ValidationError, match="accord"):
        referral_accept(referral=referral, membership=recipient, acting_user=recipient.user, join_follow_up=True)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert not FollowUpMember.objects.filter(membership=recipient).exists()


def test_join_with_a_role_that_does_not_accompany_is_refused(pathway, service, recipient_org):
    referral = ReferralFactory(pathway=pathway, service=service, person_agrees_follow_up=True)
    admin = MembershipFactory(organisation=recipient_org, role=Role.ADMIN_STRUCTURE)
    with pytest.raises(PermissionDenied, match="qui accompagnent"):
        referral_accept(referral=referral, membership=admin, acting_user=admin.user, join_follow_up=True)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    assert not FollowUpMember.objects.filter(pathway=pathway, membership=admin).exists()


def test_refuse_with_a_listed_reason(referral, recipient, membership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral_refuse(
            referral=referral, reason=RefusalReason.NOT_ELIGIBLE, membership=recipient, acting_user=recipient.user
        )
    referral.refresh_from_db()
    assert (referral.status, referral.refusal_reason) == (ReferralStatus.REFUSED, "not_eligible")
    assert referral.answered_by == recipient
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert "n'est pas éligible" in mail.outbox[0].body


def test_refuse_with_unknown_reason_is_refused(referral, recipient):
    with pytest.raises(ValidationError, match="motif de refus dans la liste"):
        referral_refuse(referral=referral, reason="complet", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


def test_other_reason_needs_a_detail(referral, recipient):
    with pytest.raises(ValidationError, match="Précisez"):
        referral_refuse(referral=referral, reason="other", detail=" ", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    referral_refuse(
        referral=referral,
        reason="other",
        detail="Atelier fermé cet été",
        membership=recipient,
        acting_user=recipient.user,
    )
    referral.refresh_from_db()
    assert referral.refusal_detail == "Atelier fermé cet été"
    assert referral.transitions.get().reason == "Atelier fermé cet été"


def test_start_only_after_accept(referral, recipient):
    with pytest.raises(ReferralConflict, match="attend encore"):
        referral_start(referral=referral, membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_start(referral=referral, membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.STARTED, 2)


def test_close_with_an_outcome(referral, recipient, membership, django_capture_on_commit_callbacks):
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_start(referral=referral, membership=recipient, acting_user=recipient.user)
    with django_capture_on_commit_callbacks(execute=True):
        referral_close(
            referral=referral, outcome=ReferralOutcome.COMPLETED, membership=recipient, acting_user=recipient.user
        )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CLOSED, "completed")
    assert referral.closed_at is not None
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert "Accompagnement mené à son terme" in mail.outbox[0].body


def test_accepted_person_who_never_came_is_closed_without_start(referral, recipient):
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_close(referral=referral, outcome="did_not_come", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.CLOSED, 2)


def test_close_with_unknown_outcome_is_refused(referral, recipient):
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    with pytest.raises(ValidationError, match="issue"):
        referral_close(referral=referral, outcome="great", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.ACCEPTED, 1)


def test_close_twice_is_a_conflict(referral, recipient):
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    referral_close(referral=referral, outcome="did_not_come", membership=recipient, acting_user=recipient.user)
    with pytest.raises(ReferralConflict, match="déjà clôturée"):
        referral_close(referral=referral, outcome="completed", membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.CLOSED, 2)


def test_expired_referral_cannot_be_answered(pathway, service, recipient):
    referral = ReferralFactory(pathway=pathway, service=service, status=ReferralStatus.EXPIRED)
    with pytest.raises(ReferralConflict, match="a expiré"):
        referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    assert_unchanged(referral, ReferralStatus.EXPIRED, 0)


# --- the sender side -------------------------------------------------------------------------


def test_sender_cancels_before_an_answer(referral, membership, recipient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral_cancel(
            referral=referral,
            reason="La personne a trouvé un emploi",
            membership=membership,
            acting_user=membership.user,
        )
    assert_unchanged(referral, ReferralStatus.CANCELLED, 1)
    assert referral.transitions.get().reason == "La personne a trouvé un emploi"
    assert [m.to for m in mail.outbox] == [[recipient.user.email]]


def test_another_member_of_the_group_may_cancel_a_seen_referral(referral, recipient, pathway):
    referral_mark_seen(referral=referral, membership=recipient, acting_user=recipient.user)
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    referral_cancel(referral=referral, reason="Doublon", membership=colleague, acting_user=colleague.user)
    assert_unchanged(referral, ReferralStatus.CANCELLED, 2)


def test_cancel_by_someone_outside_the_group_or_the_recipient_is_refused(referral, recipient):
    for member in (MembershipFactory(), recipient):
        with pytest.raises(PermissionDenied):
            referral_cancel(referral=referral, reason="Erreur", membership=member, acting_user=member.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


def test_cancel_without_reason_is_refused(referral, membership):
    with pytest.raises(ValidationError, match="pourquoi"):
        referral_cancel(referral=referral, reason="  ", membership=membership, acting_user=membership.user)
    assert_unchanged(referral, ReferralStatus.SENT, 0)


def test_cancel_after_answer_is_a_conflict(referral, membership, recipient):
    referral_refuse(referral=referral, reason="no_place", membership=recipient, acting_user=recipient.user)
    with pytest.raises(ReferralConflict, match="déjà refusée .*ne peut plus être annulée"):
        referral_cancel(referral=referral, reason="Erreur", membership=membership, acting_user=membership.user)
    assert_unchanged(referral, ReferralStatus.REFUSED, 1)


def test_cancel_twice_is_a_conflict(referral, membership):
    referral_cancel(referral=referral, reason="Erreur", membership=membership, acting_user=membership.user)
    with pytest.raises(ReferralConflict, match="annulée"):
        referral_cancel(referral=referral, reason="Erreur", membership=membership, acting_user=membership.user)
    assert_unchanged(referral, ReferralStatus.CANCELLED, 1)


# --- the read audit ------------------------------------------------------------------------


def test_reading_a_referral_is_in_the_person_access_log(referral, recipient):
    referral_read_audit(referral=referral, membership=recipient, acting_user=recipient.user)
    entry = AuditEntry.objects.get(action=AuditAction.READ)
    assert (entry.person_id, entry.actor, entry.organisation) == (
        referral.pathway.person_id,
        recipient.user,
        recipient.organisation,
    )
    assert entry.fields == ["identity"]


def test_link_only_referral_sends_a_signed_link_to_the_structure(
    pathway, membership, django_capture_on_commit_callbacks
):
    service = ServiceFactory(operator=None, courriel="accueil@asso.example")
    with django_capture_on_commit_callbacks(execute=True):
        referral = create(pathway, service, membership)
    link = ReferralLink.objects.get(referral=referral)
    assert (link.purpose, link.email) == (LinkPurpose.ANSWER, "accueil@asso.example")
    assert [m.to for m in mail.outbox] == [["accueil@asso.example"]]
    assert "/prescriptions/lien/" in mail.outbox[0].body
    assert Structure.objects.count() == 1
