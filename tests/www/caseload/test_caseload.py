import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.enums import Orientation, PathwayStatus
from parcours.pathways.models import Pathway
from tests.factories import (
    FollowUpMemberFactory,
    MembershipFactory,
    PathwayFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("caseload")


def get(client, params=None):
    response = client.get(URL, params or {})
    html = response.content.decode()
    assert "!!INVALID" not in html
    return response, html


def test_caseload_lists_pathways_where_i_am_referent(login, membership, pathway):
    response, html = get(login(membership))
    assert response.status_code == 200
    assert pathway.person.full_name in html
    assert reverse("pathway", args=[pathway.pk]) in html


def test_caseload_lists_pathways_where_i_am_a_member(login, membership):
    other = PathwayFactory()
    FollowUpMemberFactory(pathway=other, membership=membership)
    _, html = get(login(membership))
    assert other.person.full_name in html
    assert "Membre" in html


def test_caseload_hides_pathways_without_my_active_seat(login, membership):
    foreign = PathwayFactory(person=PersonFactory(last_name="Etrangere"))
    ended = PathwayFactory(person=PersonFactory(last_name="Sortie"))
    FollowUpMemberFactory(pathway=ended, membership=membership, ended_at=timezone.now())
    _, html = get(login(membership))
    assert foreign.person.full_name not in html
    assert ended.person.full_name not in html
    assert reverse("pathway", args=[foreign.pk]) not in html


def test_caseload_summary_counts_only_my_caseload(login, membership):
    PathwayFactory(referent=membership)
    PathwayFactory(referent=membership)
    FollowUpMemberFactory(membership=membership)
    PathwayFactory.create_batch(4)  # other people's pathways
    _, html = get(login(membership))
    assert "vous suivez 3 personnes" in html
    assert "dont 2 en tant que référent·e unique" in html


def test_caseload_shows_referent_name_and_organisation(login, membership):
    referent = MembershipFactory()
    other = PathwayFactory(referent=referent)
    FollowUpMemberFactory(pathway=other, membership=membership)
    _, html = get(login(membership))
    assert referent.user.get_full_name() in html
    assert referent.organisation.name in html


def test_caseload_filter_as_referent_excludes_member_seats(login, membership, pathway):
    member_of = PathwayFactory()
    FollowUpMemberFactory(pathway=member_of, membership=membership)
    _, html = get(login(membership), {"role": "referent"})
    assert pathway.person.full_name in html
    assert member_of.person.full_name not in html


def test_caseload_filter_as_member_excludes_referent_seats(login, membership, pathway):
    member_of = PathwayFactory()
    FollowUpMemberFactory(pathway=member_of, membership=membership)
    _, html = get(login(membership), {"role": "membre"})
    assert pathway.person.full_name not in html
    assert member_of.person.full_name in html


def test_caseload_filter_by_orientation(login, membership):
    social = PathwayFactory(referent=membership, orientation=Orientation.SOCIAL)
    pending = PathwayFactory(referent=membership)
    _, html = get(login(membership), {"orientation": Orientation.SOCIAL})
    assert social.person.full_name in html
    assert pending.person.full_name not in html


def test_caseload_text_search_on_name(login, membership):
    wanted = PathwayFactory(referent=membership, person=PersonFactory(last_name="Zadkine"))
    other = PathwayFactory(referent=membership, person=PersonFactory(last_name="Martin"))
    _, html = get(login(membership), {"q": "zadk"})
    assert wanted.person.full_name in html
    assert other.person.full_name not in html


def test_caseload_text_search_never_reaches_other_caseloads(login, membership):
    PathwayFactory(person=PersonFactory(last_name="Zadkine"))
    _, html = get(login(membership), {"q": "Zadkine"})
    assert "ZADKINE" not in html
    assert "Aucun parcours ne correspond" in html


def test_caseload_default_status_is_open_and_all_shows_both(login, membership):
    closed = PathwayFactory(referent=membership, person=PersonFactory(last_name="Closerie"))
    # A closed pathway where the seat is still active (as imported data may be).
    Pathway.objects.filter(pk=closed.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    open_one = PathwayFactory(referent=membership)
    client = login(membership)
    _, html = get(client)
    assert "CLOSERIE" not in html
    assert open_one.person.full_name in html
    _, html = get(client, {"status": "tous"})
    assert "CLOSERIE" in html
    _, html = get(client, {"status": PathwayStatus.CLOSED})
    assert "CLOSERIE" in html
    assert open_one.person.full_name not in html


def test_caseload_sort_by_name(login, membership):
    PathwayFactory(referent=membership, person=PersonFactory(last_name="Bernard"))
    PathwayFactory(referent=membership, person=PersonFactory(last_name="Abadie"))
    _, html = get(login(membership), {"sort": "nom"})
    assert html.index("ABADIE") < html.index("BERNARD")
    assert 'aria-sort="ascending"' in html
    _, html = get(login(membership), {"sort": "-nom"})
    assert html.index("BERNARD") < html.index("ABADIE")
    assert 'aria-sort="descending"' in html


def test_caseload_sort_by_last_activity(login, membership):
    now = timezone.now()
    PathwayFactory(
        referent=membership,
        person=PersonFactory(last_name="Ancien"),
        last_activity_at=now - datetime.timedelta(days=30),
    )
    PathwayFactory(referent=membership, person=PersonFactory(last_name="Recent"), last_activity_at=now)
    _, html = get(login(membership))
    assert html.index("RECENT") < html.index("ANCIEN")
    _, html = get(login(membership), {"sort": "activite"})
    assert html.index("ANCIEN") < html.index("RECENT")


def test_caseload_column_headers_are_sort_links(login, membership, pathway):
    _, html = get(login(membership), {"sort": "nom"})
    assert "?sort=-nom" in html
    assert "?sort=-ouverture" in html


def test_caseload_invalid_filter_values_are_ignored(login, membership, pathway):
    response, html = get(
        login(membership),
        {
            "role": "chef",
            "status": "supprime",
            "orientation": "x" * 50,
            "sort": "password",
            "page": "abc",
            "q": "a" * 500,
        },
    )
    assert response.status_code == 200
    assert 'value="a' in html  # the text query is kept, truncated


def test_caseload_invalid_values_fall_back_to_defaults(login, membership, pathway):
    _, html = get(login(membership), {"role": "chef", "status": "supprime", "sort": "password"})
    assert pathway.person.full_name in html


def test_caseload_paginates_by_25(login, membership):
    for i in range(30):
        PathwayFactory(referent=membership, person=PersonFactory(last_name=f"Nom{i:02d}"))
    client = login(membership)
    _, html = get(client, {"sort": "nom"})
    assert "NOM24" in html
    assert "NOM25" not in html
    assert "fr-pagination" in html
    assert 'aria-current="page"' in html
    _, html = get(client, {"sort": "nom", "page": 2})
    assert "NOM25" in html and "NOM29" in html
    assert "NOM24" not in html


def test_caseload_out_of_range_page_shows_last_page(login, membership, pathway):
    response, html = get(login(membership), {"page": 999})
    assert response.status_code == 200
    assert pathway.person.full_name in html


def test_caseload_query_count_is_bounded(login, membership, django_assert_max_num_queries):
    for _ in range(60):
        PathwayFactory(referent=membership)
    for _ in range(5):
        FollowUpMemberFactory(membership=membership)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(URL)
    assert response.status_code == 200
    assert "vous suivez 65 personnes" in response.content.decode()


def test_caseload_without_membership_shows_clear_message(client):
    user = UserFactory()
    client.force_login(user)
    response, html = get(client)
    assert response.status_code == 200
    assert "aucune organisation active" in html


def test_caseload_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
