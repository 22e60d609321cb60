import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.models import FollowUpMember, JoinRequest, Pathway
from parcours.people.models import Person
from parcours.www.people.views import LOOKUP_OBJECT_TYPE
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    PathwayFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("person_create")
BIRTH = datetime.date(1990, 4, 12)


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def nantes(db):
    return CommuneFactory()


def valid_data(**overrides) -> dict:
    data = {
        "last_name": "Karimi",
        "first_name": "Zohra",
        "birth_name": "",
        "sex": "F",
        "birth_date": BIRTH.isoformat(),
        "birth_place": "Hérat",
        "nationality": "af",
        "nir": "",
        "france_travail_id": "",
        "caf_number": "",
        "ofii_number": "",
        "email": "zohra@example.org",
        "phone": "06 11 22 33 44",
        "address": "12 allée des Tilleuls",
        "commune": "44109",
        "languages": "prs, fr",
        "arrival_date": "2023-09-01",
    }
    data.update(overrides)
    return data


def test_create_form_renders(login, membership, nantes):
    response = login(membership).get(URL)
    html = html_of(response)
    assert response.status_code == 200
    assert "Identité" in html
    assert "Nantes (44000)" in html


def test_create_form_offers_only_communes_of_my_departement(login, membership, nantes):
    CommuneFactory(insee_code="35238", name="Rennes", departement=DepartementFactory(code="35", name="Ille-et-Vilaine"))
    html = html_of(login(membership).get(URL))
    assert "Rennes" not in html


def test_create_person_opens_pathway_and_redirects(login, membership, nantes):
    response = login(membership).post(URL, valid_data())
    person = Person.objects.get()
    pathway = Pathway.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("pathway", args=[pathway.pk])
    assert person.nationality == "AF"
    assert person.languages == ["prs", "fr"]
    assert person.commune == nantes
    assert person.created_by == membership.user
    assert FollowUpMember.objects.get(pathway=pathway).membership == membership


def test_create_person_shows_success_message(login, membership, nantes):
    client = login(membership)
    client.post(URL, valid_data())
    # The message is stored for the next page; read it from the session storage via any page.
    html = html_of(client.get(reverse("caseload")))
    assert "a été créée et son parcours ouvert" in html


def test_create_person_normalises_identifiers(login, membership, nantes):
    login(membership).post(URL, valid_data(nir="2 90 04 99 123 456 78", france_travail_id="1234567a"))
    person = Person.objects.get()
    assert person.nir == "290049912345678"
    assert person.france_travail_id == "1234567A"


@pytest.mark.parametrize("role", [Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_create_refused_to_non_accompanying_roles(login, nantes, role):
    client = login(MembershipFactory(role=role))
    assert client.get(URL).status_code == 403
    response = client.post(URL, valid_data())
    assert response.status_code == 403
    assert "Seul·es les professionnel·les qui accompagnent" in html_of(response)
    assert Person.objects.count() == 0


def test_create_refused_without_membership(client, nantes):
    client.force_login(UserFactory())
    response = client.post(URL, valid_data())
    assert response.status_code == 403
    assert Person.objects.count() == 0


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.REFERENT_RSA, Role.CHARGE_ORIENTATION, Role.ENCADRANT])
def test_create_allowed_to_accompanying_roles(login, nantes, role):
    response = login(MembershipFactory(role=role)).post(URL, valid_data())
    assert response.status_code == 302
    assert Person.objects.count() == 1


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"birth_date": "2999-01-01"}, "La date ne peut pas être dans le futur."),
        ({"birth_date": "1890-05-01"}, "Vérifiez l&#x27;année de naissance."),
        ({"birth_date": ""}, "Indiquez la date de naissance."),
        ({"birth_date": "32/13/1990"}, "Saisissez une date valide."),
        ({"last_name": "  "}, "Indiquez le nom."),
        ({"nir": "123"}, "Le NIR doit compter 13 ou 15 caractères"),
        ({"caf_number": "12AB"}, "Le numéro d&#x27;allocataire CAF compte 7 chiffres."),
        ({"ofii_number": "12345"}, "Le numéro AGDREF / OFII compte 10 chiffres."),
        ({"languages": "fr, klingon"}, "Code de langue inconnu : klingon."),
        ({"languages": "fr, xx"}, "Code de langue inconnu : xx."),
        ({"nationality": "ZZ"}, "Code pays inconnu"),
        ({"email": "pas-un-mail"}, "Saisissez une adresse de courriel valide."),
        ({"phone": "abc"}, "Saisissez un numéro de téléphone"),
        ({"commune": "99999"}, "Choisissez une commune de la liste."),
        ({"arrival_date": "1980-01-01"}, "La date d&#x27;arrivée ne peut pas précéder la date de naissance."),
        ({"arrival_date": "2999-01-01"}, "La date ne peut pas être dans le futur."),
    ],
)
def test_create_bad_input_is_reported_and_nothing_written(login, membership, nantes, overrides, message):
    before = Person.objects.count(), Pathway.objects.count(), AuditEntry.objects.count()
    response = login(membership).post(URL, valid_data(**overrides))
    html = html_of(response)
    assert response.status_code == 200
    assert message in html
    assert "fr-error-text" in html
    assert (Person.objects.count(), Pathway.objects.count(), AuditEntry.objects.count()) == before


def test_create_rejects_commune_of_another_departement(login, membership, nantes):
    CommuneFactory(insee_code="35238", name="Rennes", departement=DepartementFactory(code="35", name="Ille-et-Vilaine"))
    response = login(membership).post(URL, valid_data(commune="35238"))
    assert "Choisissez une commune de la liste." in html_of(response)
    assert Person.objects.count() == 0


# --- duplicates ------------------------------------------------------------------------------


@pytest.fixture
def existing_referent(db):
    return MembershipFactory(user=UserFactory(first_name="Claire", last_name="Référente"))


@pytest.fixture
def existing(existing_referent):
    """The same person, already followed by someone else, with data that must not leak."""
    person = PersonFactory(
        first_name="Zohra",
        last_name="KARIMI",
        birth_date=BIRTH,
        birth_place="Mazar-e Charif",
        phone="0699887766",
        email="ancienne@example.org",
        caf_number="7654321",
    )
    return PathwayFactory(person=person, referent=existing_referent)


def test_duplicate_by_name_and_birth_date_offers_a_choice(login, membership, nantes, existing):
    response = login(membership).post(URL, valid_data())
    html = html_of(response)
    assert response.status_code == 200
    assert "Cette personne existe peut-être déjà" in html
    assert "Une personne correspondante est déjà suivie" in html
    assert "Claire Référente" in html
    assert "Créer quand même" in html
    assert Person.objects.count() == 1


def test_duplicate_by_identifier_offers_a_choice(login, membership, nantes, existing):
    response = login(membership).post(URL, valid_data(first_name="Zahra", last_name="Karimy", caf_number="7654321"))
    html = html_of(response)
    assert "Une personne correspondante est déjà suivie" in html
    assert "Claire Référente" in html
    assert Person.objects.count() == 1


def test_duplicate_not_visible_leaks_nothing_but_referent(login, membership, nantes, existing):
    html = html_of(login(membership).post(URL, valid_data(birth_place="Kaboul", phone="", email="")))
    for secret in ("Mazar-e Charif", "0699887766", "ancienne@example.org", reverse("pathway", args=[existing.pk])):
        assert secret not in html
    entry = AuditEntry.objects.get(object_type=LOOKUP_OBJECT_TYPE)
    assert entry.person_id == existing.person_id


def test_duplicate_visible_to_me_links_to_existing_record(login, membership, nantes, existing):
    FollowUpMemberFactory(pathway=existing, membership=membership)
    html = html_of(login(membership).post(URL, valid_data()))
    assert "Ouvrir le dossier existant" in html
    assert reverse("pathway", args=[existing.pk]) in html


def test_duplicate_page_keeps_the_data_in_hidden_fields(login, membership, nantes, existing):
    html = html_of(login(membership).post(URL, valid_data()))
    assert 'type="hidden" name="birth_place" value="Hérat"' in html
    assert 'name="force" value="1"' in html


def test_create_anyway_creates_the_person(login, membership, nantes, existing):
    response = login(membership).post(URL, valid_data(force="1"))
    assert response.status_code == 302
    assert Person.objects.count() == 2
    created = Person.objects.exclude(pk=existing.person_id).get()
    assert response["Location"] == reverse("pathway", args=[created.pathways.get().pk])
    assert AuditEntry.objects.filter(person=created, reason__contains="doublon").exists()


def test_duplicate_join_request_goes_through_the_lookup(login, membership, nantes, existing):
    client = login(membership)
    html = html_of(client.post(URL, valid_data()))
    assert "Demander à rejoindre le groupe de suivi" in html
    response = client.post(
        reverse("person_search"),
        {
            "last_name": "Karimi",
            "first_name": "Zohra",
            "birth_date": BIRTH.isoformat(),
            "pathway": existing.pk,
            "reason": "Inscrite chez nous ce matin",
        },
    )
    assert response.status_code == 302
    assert JoinRequest.objects.get().pathway == existing


def test_back_to_form_keeps_the_input(login, membership, nantes, existing):
    html = html_of(login(membership).post(URL, valid_data(edit="1")))
    assert "Créer la fiche et ouvrir le parcours" in html
    assert 'value="Hérat"' in html
    assert Person.objects.count() == 1


def test_duplicate_without_open_pathway_says_a_record_exists(login, membership, nantes):
    PersonFactory(first_name="Zohra", last_name="Karimi", birth_date=BIRTH, birth_place="Mazar-e Charif")
    html = html_of(login(membership).post(URL, valid_data()))
    assert "Une fiche correspondante existe déjà, sans parcours en cours." in html
    assert "Mazar-e Charif" not in html


def test_birth_date_today_is_accepted(login, membership, nantes):
    today = timezone.localdate().isoformat()
    response = login(membership).post(URL, valid_data(birth_date=today, arrival_date=""))
    assert response.status_code == 302
