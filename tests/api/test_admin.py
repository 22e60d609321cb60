import pytest

from parcours.api.models import ApiToken
from parcours.api.services import create_token
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_admin_lists_tokens_without_their_hash(admin_client):
    token, key = create_token(organisation=OrganisationFactory(), label="CD44")
    page = admin_client.get("/admin/api/apitoken/").content.decode()
    assert token.prefix in page and "CD44" in page
    assert token.key_hash not in page and key not in page
    detail = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in detail and key not in detail


def test_admin_revoke_action(admin_client):
    token, _ = create_token(organisation=OrganisationFactory(), label="CD44")
    response = admin_client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 jeton révoqué." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_add_shows_the_key_once(admin_client):
    organisation = OrganisationFactory()
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"organisation": organisation.pk, "label": "Partenaire"}, follow=True
    )
    token = ApiToken.objects.get()
    assert token.organisation == organisation and token.label == "Partenaire"
    assert "il ne sera plus jamais affiché" in response.content.decode()


def test_non_staff_cannot_reach_the_token_admin(client):
    user = UserFactory()
    client.login(username=user.username, password=PASSWORD)
    response = client.get("/admin/api/apitoken/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
