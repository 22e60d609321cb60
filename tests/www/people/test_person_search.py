import datetime

import pytest
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from parcours.diagnostics.models import Diagnostic, ThemeAssessment
from parcours.organisations.enums import Role
from parcours.pathways.enums import JoinRequestStatus
from parcours.pathways.models import Goal, JoinRequest
from parcours.www.people.views import LOOKUP_OBJECT_TYPE
from tests.factories import MembershipFactory, PathwayFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("person_search")
BIRTH = datetime.date(1988, 3, 14)


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def referent(db):
    return MembershipFactory(user=UserFactory(first_name="Claire", last_name="Référente"))


@pytest.fixture
def foreign_pathway(referent):
    """A pathway the searcher does not follow, with data that must never leak."""
    person = PersonFactory(
        first_name="Zohra",
        last_name="Karimi",
        birth_date=BIRTH,
        birth_place="Hérat",
        email="zohra.karimi@example.org",
        phone="0611223344",
        address="12 allée des Tilleuls",
        nir="288039912345678",
        caf_number="1234567",
    )
    pathway = PathwayFactory(person=person, referent=referent)
    Goal.objects.create(pathway=pathway, theme="logement", text="Trouver un logement social", created_by=UserFactory())
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=1,
        recorded_at=pathway.opened_at,
        recorded_by=UserFactory(),
        organisation=referent.organisation,
    )
    ThemeAssessment.objects.create(diagnostic=diagnostic, theme="sante", note="Suivi psychologique en cours")
    return pathway


def by_name(**overrides):
    params = {"last_name": "Karimi", "first_name": "Zohra", "birth_date": BIRTH.isoformat()}
    params.update(overrides)
    return params


def test_search_page_renders_empty_form(login, membership):
    response = login(membership).get(URL)
    html = html_of(response)
    assert response.status_code == 200
    assert "Par identifiant" in html
    assert "Résultats" not in html


def test_search_by_name_and_birth_date_finds_my_pathway_with_link(login, referent, foreign_pathway):
    html = html_of(login(referent).get(URL, by_name()))
    assert reverse("pathway", args=[foreign_pathway.pk]) in html
    assert "Zohra KARIMI" in html


def test_search_by_identifier_finds_pathway(login, referent, foreign_pathway):
    html = html_of(login(referent).get(URL, {"identifier": "2 88 03 99 123 456 78"}))
    assert reverse("pathway", args=[foreign_pathway.pk]) in html


def test_search_by_caf_number_finds_pathway(login, referent, foreign_pathway):
    html = html_of(login(referent).get(URL, {"identifier": "1234567"}))
    assert reverse("pathway", args=[foreign_pathway.pk]) in html


def test_search_is_case_insensitive_on_names(login, referent, foreign_pathway):
    html = html_of(login(referent).get(URL, by_name(last_name="KARIMI", first_name="zohra")))
    assert reverse("pathway", args=[foreign_pathway.pk]) in html


def test_search_outside_group_shows_only_the_referent(login, membership, foreign_pathway, referent):
    html = html_of(login(membership).get(URL, by_name()))
    assert "Cette personne a un parcours en cours" in html
    assert "Claire Référente" in html
    assert referent.organisation.name in html
    assert reverse("pathway", args=[foreign_pathway.pk]) not in html


def test_search_outside_group_leaks_no_other_data(login, membership, foreign_pathway):
    html = html_of(login(membership).get(URL, {"identifier": "288039912345678"}))
    assert "Cette personne a un parcours en cours" in html
    for secret in (
        "Hérat",
        "zohra.karimi@example.org",
        "0611223344",
        "Tilleuls",
        "Nantes",
        "Trouver un logement social",
        "Suivi psychologique",
        "Karimi",
        "KARIMI",
        "1988",
    ):
        assert secret not in html


def test_search_outside_group_is_audited(login, membership, foreign_pathway):
    login(membership).get(URL, by_name())
    entry = AuditEntry.objects.get(object_type=LOOKUP_OBJECT_TYPE)
    assert entry.action == AuditAction.READ
    assert entry.person_id == foreign_pathway.person_id
    assert entry.actor_id == membership.user_id
    assert entry.organisation_id == membership.organisation_id


def test_search_of_my_own_pathway_is_not_a_lookup_entry(login, referent, foreign_pathway):
    login(referent).get(URL, by_name())
    assert not AuditEntry.objects.filter(object_type=LOOKUP_OBJECT_TYPE).exists()


def test_search_never_matches_a_prefix(login, membership, foreign_pathway):
    html = html_of(login(membership).get(URL, by_name(last_name="Kari")))
    assert "Aucun parcours en cours ne correspond" in html
    assert "Claire Référente" not in html
    html = html_of(login(membership).get(URL, {"identifier": "2880399"}))
    assert "Claire Référente" not in html


def test_search_needs_the_exact_birth_date(login, membership, foreign_pathway):
    html = html_of(login(membership).get(URL, by_name(birth_date="1988-03-15")))
    assert "Claire Référente" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"last_name": "Karimi"},
        {"last_name": "Karimi", "first_name": "Zohra"},
        {"first_name": "Zohra", "birth_date": BIRTH.isoformat()},
    ],
)
def test_partial_search_asks_for_name_first_name_and_birth_date(login, membership, foreign_pathway, params):
    html = html_of(login(membership).get(URL, params))
    assert "indiquez son nom, son prénom et sa date de naissance" in html
    assert "Claire Référente" not in html
    assert not AuditEntry.objects.filter(object_type=LOOKUP_OBJECT_TYPE).exists()


def test_search_rejects_future_birth_date(login, membership):
    html = html_of(login(membership).get(URL, by_name(birth_date="2999-01-01")))
    assert "ne peut pas être dans le futur" in html


def test_search_without_match_says_so(login, membership):
    html = html_of(login(membership).get(URL, by_name()))
    assert "Aucun parcours en cours ne correspond" in html


def test_search_refused_to_territorial_pilot(login, foreign_pathway):
    response = login(MembershipFactory(pilote=True)).get(URL, by_name())
    html = html_of(response)
    assert response.status_code == 403
    assert "Claire Référente" not in html
    assert not AuditEntry.objects.filter(object_type=LOOKUP_OBJECT_TYPE).exists()


def test_search_refused_without_membership(client, foreign_pathway):
    client.force_login(UserFactory())
    response = client.get(URL, by_name())
    assert response.status_code == 403
    assert "Claire Référente" not in html_of(response)


def test_structure_admin_may_search_but_not_request_to_join(login, foreign_pathway):
    html = html_of(login(MembershipFactory(admin=True)).get(URL, by_name()))
    assert "Claire Référente" in html
    assert "Demander à rejoindre" not in html


# --- join requests ---------------------------------------------------------------------------


def join(client, pathway, **overrides):
    data = {**by_name(), "pathway": pathway.pk, "reason": "Accompagnement vers l'emploi en cours chez nous"}
    data.update(overrides)
    return client.post(URL, data)


def test_join_request_form_is_offered_outside_group(login, membership, foreign_pathway):
    html = html_of(login(membership).get(URL, by_name()))
    assert "Demander à rejoindre le groupe de suivi" in html
    assert f'value="{foreign_pathway.pk}"' in html


def test_join_request_is_created(login, membership, foreign_pathway):
    client = login(membership)
    response = join(client, foreign_pathway)
    assert response.status_code == 302
    request = JoinRequest.objects.get()
    assert request.pathway == foreign_pathway
    assert request.membership == membership
    assert request.status == JoinRequestStatus.PENDING
    html = html_of(client.get(response["Location"]))
    assert "Votre demande a été envoyée" in html
    assert "Votre demande pour rejoindre le groupe de suivi est en attente" in html


def test_join_request_requires_a_reason(login, membership, foreign_pathway):
    response = join(login(membership), foreign_pathway, reason="   ")
    html = html_of(response)
    assert response.status_code == 200
    assert "Indiquez pourquoi vous souhaitez rejoindre le groupe de suivi." in html
    assert not JoinRequest.objects.exists()


def test_join_request_refused_for_pathway_not_found_by_the_search(login, membership, foreign_pathway):
    other = PathwayFactory()
    response = join(login(membership), other)
    assert response.status_code == 302
    assert not JoinRequest.objects.exists()


def test_join_request_refused_without_search_criteria(login, membership, foreign_pathway):
    response = login(membership).post(URL, {"pathway": foreign_pathway.pk, "reason": "Je veux voir"})
    html = html_of(response)
    assert "Relancez la recherche" in html
    assert not JoinRequest.objects.exists()


def test_join_request_refused_to_non_accompanying_role(login, foreign_pathway):
    client = login(MembershipFactory(role=Role.ADMIN_STRUCTURE))
    response = join(client, foreign_pathway)
    assert not JoinRequest.objects.exists()
    html = html_of(client.get(response["Location"]))
    assert "Votre rôle ne permet pas de rejoindre un groupe de suivi." in html


def test_second_join_request_is_refused_with_message(login, membership, foreign_pathway):
    client = login(membership)
    join(client, foreign_pathway)
    response = join(client, foreign_pathway)
    assert JoinRequest.objects.count() == 1
    html = html_of(client.get(response["Location"]))
    assert "Une demande est déjà en attente pour ce parcours." in html


def test_search_query_count_is_bounded(login, membership, foreign_pathway, django_assert_max_num_queries):
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(URL, by_name())
    assert response.status_code == 200
