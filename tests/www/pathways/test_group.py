"""The follow-up group tab and its forms: referent change, adding and ending members, join
requests, closing, orientation."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.pathways.enums import JoinRequestStatus, Orientation, PathwayStatus
from parcours.pathways.models import FollowUpMember, JoinRequest, Pathway, ReferentHandover
from parcours.pathways.services import join_request_create, member_end, referent_change
from tests.factories import FollowUpMemberFactory, MembershipFactory
from tests.www.pathways.conftest import html_of, shows


def _referent(pathway):
    return FollowUpMember.objects.get(pathway=pathway, is_referent=True, ended_at__isnull=True).membership


@pytest.mark.django_db
def test_group_lists_active_members_referent_first(login, membership, plain_member, pathway):
    html = html_of(login(plain_member).get(reverse("pathway_group", args=[pathway.pk])))
    referent_at = html.index(membership.user.get_full_name(), html.index("Membres actifs"))
    member_at = html.index(plain_member.user.get_full_name(), html.index("Membres actifs"))
    assert referent_at < member_at
    assert plain_member.organisation.name in html
    assert "Suivi emploi" in html


@pytest.mark.django_db
def test_group_shows_past_members_and_handover_notes(login, membership, plain_member, pathway):
    referent_change(
        pathway=pathway,
        new_membership=plain_member,
        reason="Déménagement",
        handover_note="Attention : rendez-vous CAF le 12.",
        membership=membership,
        acting_user=membership.user,
        keep_previous_in_group=False,
    )
    html = html_of(login(plain_member).get(reverse("pathway_group", args=[pathway.pk])))
    assert "Anciens membres" in html
    assert "Passation de référence : Déménagement" in html
    assert "Attention : rendez-vous CAF le 12." in html


@pytest.mark.django_db
def test_referent_sees_pending_join_requests_with_buttons(login, membership, pathway):
    asker = MembershipFactory()
    join_request_create(pathway=pathway, reason="Suivi santé", membership=asker, acting_user=asker.user)
    html = html_of(login(membership).get(reverse("pathway_group", args=[pathway.pk])))
    assert "Suivi santé" in html
    assert 'value="accept"' in html


@pytest.mark.django_db
def test_plain_member_sees_join_requests_without_buttons(login, plain_member, pathway):
    asker = MembershipFactory()
    join_request_create(pathway=pathway, reason="Suivi santé", membership=asker, acting_user=asker.user)
    html = html_of(login(plain_member).get(reverse("pathway_group", args=[pathway.pk])))
    assert "Suivi santé" in html
    assert 'value="accept"' not in html


@pytest.mark.django_db
def test_referent_accepts_a_join_request(login, membership, pathway):
    asker = MembershipFactory()
    jr = join_request_create(pathway=pathway, reason="Suivi santé", membership=asker, acting_user=asker.user)
    url = reverse("pathway_join_request_decide", args=[pathway.pk, jr.pk])
    response = login(membership).post(url, {"decision": "accept"})
    assert response.status_code == 302
    assert JoinRequest.objects.get(pk=jr.pk).status == JoinRequestStatus.ACCEPTED
    assert FollowUpMember.objects.filter(pathway=pathway, membership=asker, ended_at__isnull=True).exists()


@pytest.mark.django_db
def test_plain_member_cannot_decide_a_join_request(login, plain_member, pathway):
    asker = MembershipFactory()
    jr = join_request_create(pathway=pathway, reason="Suivi santé", membership=asker, acting_user=asker.user)
    url = reverse("pathway_join_request_decide", args=[pathway.pk, jr.pk])
    response = login(plain_member).post(url, {"decision": "accept"})
    assert response.status_code == 403
    assert JoinRequest.objects.get(pk=jr.pk).status == JoinRequestStatus.PENDING


# --- referent change -----------------------------------------------------------------------------


def _change(client, pathway, new_membership, **overrides):
    data = {
        "new_membership": new_membership.pk,
        "reason": "Orientation sociale",
        "handover_note": "Dossier logement en cours.",
        "keep_previous_in_group": "on",
    }
    data.update(overrides)
    return client.post(reverse("pathway_referent_change", args=[pathway.pk]), data)


@pytest.mark.django_db
def test_referent_hands_over_to_a_group_member(login, membership, plain_member, pathway):
    response = _change(login(membership), pathway, plain_member)
    assert response.status_code == 302
    assert _referent(pathway) == plain_member
    handover = ReferentHandover.objects.get(pathway=pathway)
    assert handover.handover_note == "Dossier logement en cours."
    # the previous referent stays in the group
    assert FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists()


@pytest.mark.django_db
def test_referent_can_leave_the_group_at_handover(login, membership, plain_member, pathway):
    _change(login(membership), pathway, plain_member, keep_previous_in_group="")
    assert not FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists()


@pytest.mark.django_db
def test_referent_finds_a_professional_outside_the_group_by_exact_email(login, membership, pathway):
    newcomer = MembershipFactory(rsa=True)
    client = login(membership)
    page = html_of(client.get(reverse("pathway_referent_change", args=[pathway.pk]), {"email": newcomer.user.email}))
    assert f'value="{newcomer.pk}"' in page
    response = _change(client, pathway, newcomer, email=newcomer.user.email)
    assert response.status_code == 302
    assert _referent(pathway) == newcomer


@pytest.mark.django_db
def test_partial_email_finds_nobody(login, membership, pathway):
    newcomer = MembershipFactory()
    page = html_of(
        login(membership).get(
            reverse("pathway_referent_change", args=[pathway.pk]), {"email": newcomer.user.email[:-1]}
        )
    )
    assert f'value="{newcomer.pk}"' not in page


@pytest.mark.django_db
def test_professional_outside_the_group_cannot_be_chosen_without_the_email_search(login, membership, pathway):
    newcomer = MembershipFactory()
    response = _change(login(membership), pathway, newcomer)
    assert response.status_code == 200
    assert shows(html_of(response), "Ce·tte professionnel·le ne peut pas être désigné·e.")
    assert _referent(pathway) == membership


@pytest.mark.django_db
def test_referent_change_requires_a_handover_note(login, membership, plain_member, pathway):
    response = _change(login(membership), pathway, plain_member, handover_note="  ")
    assert response.status_code == 200
    assert "Rédigez une note de passation" in html_of(response)
    assert _referent(pathway) == membership
    assert not ReferentHandover.objects.exists()


@pytest.mark.django_db
def test_referent_change_requires_a_reason(login, membership, plain_member, pathway):
    response = _change(login(membership), pathway, plain_member, reason="")
    assert "Indiquez le motif du changement de référent." in html_of(response)
    assert not ReferentHandover.objects.exists()


@pytest.mark.django_db
def test_oversized_handover_note_is_refused(login, membership, plain_member, pathway):
    response = _change(login(membership), pathway, plain_member, handover_note="x" * 5001)
    assert response.status_code == 200
    assert "5000" in html_of(response) or "5 000" in html_of(response)
    # The field's error (the help text and maxlength also carry the figure).
    assert "actuellement 5001" in html_of(response)
    assert not ReferentHandover.objects.exists()


@pytest.mark.django_db
def test_orientation_officer_with_territory_grant_changes_the_referent(
    login, membership, plain_member, orientation_officer, pathway
):
    response = _change(login(orientation_officer), pathway, plain_member)
    assert response.status_code == 302
    assert _referent(pathway) == plain_member


@pytest.mark.django_db
def test_plain_member_cannot_open_the_referent_change_form(login, plain_member, pathway):
    response = login(plain_member).get(reverse("pathway_referent_change", args=[pathway.pk]))
    assert response.status_code == 403


@pytest.mark.django_db
def test_plain_member_cannot_change_the_referent(login, membership, plain_member, pathway):
    other = FollowUpMemberFactory(pathway=pathway).membership
    response = _change(login(plain_member), pathway, other)
    assert response.status_code == 403
    assert _referent(pathway) == membership
    assert not ReferentHandover.objects.exists()


# --- members -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_referent_adds_a_member_found_by_email(login, membership, pathway):
    newcomer = MembershipFactory()
    data = {"new_membership": newcomer.pk, "reason": "Atelier CV", "email": newcomer.user.email}
    response = login(membership).post(reverse("pathway_member_add", args=[pathway.pk]), data)
    assert response.status_code == 302
    seat = FollowUpMember.objects.get(pathway=pathway, membership=newcomer)
    assert seat.start_reason == "Atelier CV"


@pytest.mark.django_db
def test_member_add_requires_a_reason(login, membership, pathway):
    newcomer = MembershipFactory()
    data = {"new_membership": newcomer.pk, "reason": "", "email": newcomer.user.email}
    response = login(membership).post(reverse("pathway_member_add", args=[pathway.pk]), data)
    assert response.status_code == 200
    assert "Indiquez pourquoi ce·tte professionnel·le rejoint le groupe." in html_of(response)
    assert not FollowUpMember.objects.filter(membership=newcomer).exists()


@pytest.mark.django_db
def test_plain_member_cannot_add_a_member(login, plain_member, pathway):
    newcomer = MembershipFactory()
    data = {"new_membership": newcomer.pk, "reason": "Atelier CV", "email": newcomer.user.email}
    response = login(plain_member).post(reverse("pathway_member_add", args=[pathway.pk]), data)
    assert response.status_code == 403
    assert not FollowUpMember.objects.filter(membership=newcomer).exists()


@pytest.mark.django_db
def test_pilote_cannot_be_added_to_a_group(login, membership, pathway):
    pilote = MembershipFactory(pilote=True)
    data = {"new_membership": pilote.pk, "reason": "Statistiques", "email": pilote.user.email}
    response = login(membership).post(reverse("pathway_member_add", args=[pathway.pk]), data)
    assert response.status_code == 200
    assert not FollowUpMember.objects.filter(membership=pilote).exists()


@pytest.mark.django_db
def test_referent_ends_a_member_seat_with_a_reason(login, membership, plain_member, pathway):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=plain_member)
    url = reverse("pathway_member_end", args=[pathway.pk, seat.pk])
    response = login(membership).post(url, {"reason": "Fin de l'atelier"})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.ended_at is not None
    assert seat.end_reason == "Fin de l'atelier"


@pytest.mark.django_db
def test_member_end_requires_a_reason(login, membership, plain_member, pathway):
    seat = FollowUpMember.objects.get(pathway=pathway, membership=plain_member)
    response = login(membership).post(reverse("pathway_member_end", args=[pathway.pk, seat.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "Indiquez le motif." in html_of(response)
    seat.refresh_from_db()
    assert seat.ended_at is None


@pytest.mark.django_db
def test_plain_member_cannot_end_another_members_seat(login, plain_member, pathway):
    other_seat = FollowUpMemberFactory(pathway=pathway)
    url = reverse("pathway_member_end", args=[pathway.pk, other_seat.pk])
    response = login(plain_member).post(url, {"reason": "Je le retire"})
    assert response.status_code == 403
    other_seat.refresh_from_db()
    assert other_seat.ended_at is None


@pytest.mark.django_db
def test_seat_of_another_pathway_is_404(login, membership, pathway):
    foreign_seat = FollowUpMemberFactory()
    url = reverse("pathway_member_end", args=[pathway.pk, foreign_seat.pk])
    assert login(membership).get(url).status_code == 404


# --- closing and orientation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_referent_closes_the_pathway(login, membership, pathway):
    response = login(membership).post(reverse("pathway_close", args=[pathway.pk]), {"reason": "CDI signé"})
    assert response.status_code == 302
    pathway.refresh_from_db()
    assert pathway.status == PathwayStatus.CLOSED
    assert pathway.closure_reason == "CDI signé"


@pytest.mark.django_db
def test_closing_requires_a_reason(login, membership, pathway):
    response = login(membership).post(reverse("pathway_close", args=[pathway.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "Indiquez le motif." in html_of(response)
    assert Pathway.objects.get(pk=pathway.pk).status == PathwayStatus.OPEN


@pytest.mark.django_db
def test_plain_member_cannot_close_the_pathway(login, plain_member, pathway):
    response = login(plain_member).post(reverse("pathway_close", args=[pathway.pk]), {"reason": "Je clos"})
    assert response.status_code == 403
    assert Pathway.objects.get(pk=pathway.pk).status == PathwayStatus.OPEN


@pytest.mark.django_db
def test_orientation_officer_decides_the_orientation(login, orientation_officer, pathway):
    url = reverse("pathway_orientation", args=[pathway.pk])
    structure = orientation_officer.organisation  # an active organisation of the pathway's département
    response = login(orientation_officer).post(
        url, {"orientation": "social", "structure": structure.pk, "reason": "Logement d'abord"}
    )
    assert response.status_code == 302
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.SOCIAL


@pytest.mark.django_db
def test_orientation_requires_a_choice(login, orientation_officer, pathway):
    url = reverse("pathway_orientation", args=[pathway.pk])
    response = login(orientation_officer).post(url, {"orientation": "pending", "reason": "?"})
    assert response.status_code == 200
    assert "Choisissez une orientation" in html_of(response)
    # The error itself, not only the select's empty option, which says the same words.
    assert "Choisissez une orientation parmi celles proposées." in html_of(response)
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


@pytest.mark.django_db
def test_referent_who_is_not_an_orientation_officer_cannot_decide_the_orientation(login, membership, pathway):
    url = reverse("pathway_orientation", args=[pathway.pk])
    response = login(membership).post(url, {"orientation": "social", "reason": "Logement"})
    assert response.status_code == 403
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


@pytest.mark.django_db
def test_group_page_stays_within_15_queries_with_a_long_history(
    login, membership, pathway, django_assert_max_num_queries
):
    members = [FollowUpMemberFactory(pathway=pathway).membership for _ in range(8)]
    for m in members[:5]:
        member_end(
            seat=FollowUpMember.objects.get(pathway=pathway, membership=m, ended_at__isnull=True),
            reason="Fin",
            membership=membership,
            acting_user=membership.user,
        )
    current = membership
    for m in members[5:]:
        referent_change(
            pathway=pathway,
            new_membership=m,
            reason="Relais",
            handover_note="Note",
            membership=current,
            acting_user=current.user,
        )
        current = m
    for _ in range(5):
        asker = MembershipFactory()
        join_request_create(pathway=pathway, reason="Relais", membership=asker, acting_user=asker.user)
    for _ in range(200):
        audit_log(actor=membership.user, action=AuditAction.READ, object_type="x", person=pathway.person)
    client = login(current)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_group", args=[pathway.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pathway_member_add", "pathway_close"])
def test_group_management_pages_are_refused_to_a_plain_member(login, pathway, plain_member, name):
    assert login(plain_member).get(reverse(name, args=[pathway.pk])).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pathway_member_add", "pathway_close"])
def test_group_management_pages_open_for_the_referent(login, pathway, membership, name):
    assert login(membership).get(reverse(name, args=[pathway.pk])).status_code == 200


@pytest.mark.django_db
def test_plain_member_may_open_the_leave_form_for_their_own_seat_only(login, pathway, plain_member, membership):
    from parcours.pathways.models import FollowUpMember

    own = FollowUpMember.objects.get(pathway=pathway, membership=plain_member, ended_at__isnull=True)
    other = FollowUpMemberFactory(pathway=pathway)
    client = login(plain_member)
    assert client.get(reverse("pathway_member_end", args=[pathway.pk, own.pk])).status_code == 200
    assert client.get(reverse("pathway_member_end", args=[pathway.pk, other.pk])).status_code == 403
