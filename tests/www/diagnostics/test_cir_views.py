import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.diagnostics.models import IntegrationContract
from tests.factories import MembershipFactory, TerritoryGrantFactory

pytestmark = pytest.mark.django_db


def cir_data(**overrides):
    data = {
        "signed_on": "2024-01-15",
        "french_hours_prescribed": "400",
        "french_hours_done": "100",
        "civic_training_done": "on",
        "french_level_at_signature": "A1.1",
    }
    data.update(overrides)
    return data


def test_group_member_records_the_integration_contract(login, pathway, membership):
    response = login(membership).post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    assert response.status_code == 302
    contract = IntegrationContract.objects.get(person=pathway.person)
    assert contract.signed_on == datetime.date(2024, 1, 15)
    assert (contract.french_hours_prescribed, contract.french_hours_done) == (400, 100)
    assert contract.civic_training_done
    assert contract.french_level_at_signature == "A1.1"


def test_group_member_updates_the_hours_done(login, pathway, membership):
    client = login(membership)
    client.post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    response = client.post(reverse("pathway_cir", args=[pathway.pk]), cir_data(french_hours_done="250"))
    assert response.status_code == 302
    assert IntegrationContract.objects.get(person=pathway.person).french_hours_done == 250


def test_cir_form_is_prefilled_with_the_current_contract(login, pathway, membership):
    client = login(membership)
    client.post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    html = client.get(reverse("pathway_cir", args=[pathway.pk])).content.decode()
    assert 'value="2024-01-15"' in html
    assert 'value="400"' in html
    assert "!!INVALID" not in html


def test_diagnostic_page_shows_contract_progress(login, pathway, membership):
    client = login(membership)
    client.post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    html = client.get(reverse("pathway_diagnostic", args=[pathway.pk])).content.decode()
    assert "100 h réalisées sur 400 h prescrites" in html
    assert "Avancement : 25 %" in html
    assert "15/01/2024" in html
    assert "!!INVALID" not in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"french_hours_prescribed": "100", "french_hours_done": "150"},
            "Les heures réalisées ne peuvent dépasser les heures prescrites.",
        ),
        (
            {"signed_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            "La date de signature ne peut pas être dans le futur.",
        ),
        ({"french_hours_prescribed": "900"}, "Le CIR prescrit au plus 600 heures de français."),
        ({"french_hours_done": "-3"}, "Le nombre d&#x27;heures ne peut pas être négatif."),
        ({"french_level_at_signature": "Z9"}, "Niveau CECRL hors échelle"),
        ({"signed_on": ""}, "Indiquez la date de signature."),
    ],
    ids=["done-above-prescribed", "future-signature", "too-many-hours", "negative-hours", "bad-level", "no-date"],
)
def test_bad_cir_input_is_refused_with_french_message_and_nothing_written(
    login, pathway, membership, overrides, message
):
    response = login(membership).post(reverse("pathway_cir", args=[pathway.pk]), cir_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "!!INVALID" not in html
    assert not IntegrationContract.objects.exists()


def test_orientation_officer_outside_the_group_cannot_write_the_contract(login, pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    client = login(grant.membership)
    assert client.get(reverse("pathway_cir", args=[pathway.pk])).status_code == 403
    response = client.post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    assert response.status_code == 403
    assert not IntegrationContract.objects.exists()


def test_cir_form_is_404_for_professional_outside_the_group(login, pathway):
    response = login(MembershipFactory()).post(reverse("pathway_cir", args=[pathway.pk]), cir_data())
    assert response.status_code == 404
    assert not IntegrationContract.objects.exists()
