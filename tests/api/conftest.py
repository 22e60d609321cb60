import pytest

from parcours.api.services import create_token
from tests.factories import CommuneFactory, OrganisationFactory

API = "/api/v1"

# (INSEE code, name, postcodes, latitude, longitude)
NANTES = ("44109", "Nantes", ["44000", "44100", "44200", "44300"], 47.2316, -1.5483)
REZE = ("44143", "Rezé", ["44400"], 47.1833, -1.5500)
SAINT_NAZAIRE = ("44184", "Saint-Nazaire", ["44600"], 47.2806, -2.2086)


def make_commune(place):
    code, name, postcodes, lat, lon = place
    return CommuneFactory(insee_code=code, name=name, postcodes=postcodes, latitude=lat, longitude=lon)


@pytest.fixture
def token_and_key(db):
    return create_token(organisation=OrganisationFactory(), label="Partenaire de test", created_by=None)


@pytest.fixture
def api(client, token_and_key):
    """GET on the API with a valid token: api("/services", publics="femmes") -> response."""
    _, key = token_and_key

    def _get(path, **params):
        return client.get(f"{API}{path}", params, headers={"authorization": f"Bearer {key}"})

    return _get
