import datetime
import json
import re

import pytest
from django.utils import timezone

from parcours.api.models import ApiToken
from parcours.api.services import create_token, hash_key, revoke_token
from parcours.audit.models import AuditEntry
from tests.api.conftest import API
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_no_token_is_refused_with_french_message(client):
    response = client.get(f"{API}/services")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_refused(client, token_and_key):
    response = client.get(f"{API}/services", headers={"authorization": "Bearer pas-un-vrai-jeton"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'API inconnu ou révoqué."}


def test_other_scheme_is_refused(client, token_and_key):
    _, key = token_and_key
    response = client.get(f"{API}/structures", headers={"authorization": f"Token {key}"})
    assert response.status_code == 401


def test_revoked_token_is_refused(client, token_and_key):
    token, key = token_and_key
    revoke_token(token=token)
    response = client.get(f"{API}/structures", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton d'API inconnu ou révoqué."


def test_token_of_deactivated_organisation_is_refused(client, token_and_key):
    token, key = token_and_key
    token.organisation.is_active = False
    token.organisation.save(update_fields=["is_active"])
    response = client.get(f"{API}/structures", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_valid_token_is_accepted(api):
    response = api("/structures")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None, "size": 100}


def test_only_the_hash_of_the_key_is_stored():
    user = UserFactory()
    token, key = create_token(organisation=OrganisationFactory(), label="CD44", created_by=user)
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert key not in {str(value) for value in stored.values()}
    assert stored["key_hash"] == hash_key(key)
    assert stored["prefix"] == key[:8]
    entry = AuditEntry.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert entry.action == "create"
    assert entry.actor == user


def test_revocation_is_audited_once():
    token, _ = create_token(organisation=OrganisationFactory(), label="CD44")
    revoke_token(token=token)
    revoke_token(token=token)
    assert token.revoked_at is not None
    actions = list(AuditEntry.objects.filter(object_type="api.apitoken").values_list("action", "fields"))
    assert actions == [("create", ["label", "organisation"]), ("update", ["revoked_at"])]


def test_last_used_at_is_written_at_most_once_a_minute(api, token_and_key):
    token, _ = token_and_key
    api("/structures")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api("/structures")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    api("/structures")
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < datetime.timedelta(minutes=1)


def test_openapi_document_is_public_and_lists_the_paths(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) >= {
        "/api/v1/structures",
        "/api/v1/structures/{record_id}",
        "/api/v1/services",
        "/api/v1/services/{record_id}",
    }
    assert "bearer" in str(document["components"]["securitySchemes"]).lower()
    parameters = {p["name"] for p in document["paths"]["/api/v1/services"]["get"]["parameters"]}
    assert {"thematiques", "publics", "code_commune", "distance_km", "cursor", "size"} <= parameters
    service = document["components"]["schemas"]["ServiceV1"]["properties"]
    assert "parcours" in service and "zone_eligibilite" in service


def test_interactive_docs_page_is_disabled(client):
    assert client.get(f"{API}/docs").status_code == 404


def test_openapi_document_lists_every_parameter_and_resolves_every_reference(client):
    from parcours.api.v1.directory import ServiceQuery, StructureQuery

    response = client.get(f"{API}/openapi.json")
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    expected = {
        "/api/v1/structures": set(StructureQuery.model_fields),
        "/api/v1/services": set(ServiceQuery.model_fields),
        "/api/v1/structures/{record_id}": {"record_id", "source"},
        "/api/v1/services/{record_id}": {"record_id", "source"},
    }
    assert set(document["paths"]) == set(expected)
    for path, parameters in expected.items():
        operation = document["paths"][path]["get"]
        assert {p["name"] for p in operation["parameters"]} == parameters, path
        assert all(p.get("description") for p in operation["parameters"] if p["name"] != "record_id"), path
        assert {"200", "400", "401"} <= {str(code) for code in operation["responses"]}, path
    # Every $ref points at a schema the document defines.
    text = json.dumps(document)
    references = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert references and references <= set(document["components"]["schemas"])


@pytest.mark.parametrize("path", ["/api/v1/services/inconnu", "/api/v1/structures/inconnu"])
@pytest.mark.parametrize("header", [None, "Bearer pas-un-jeton"])
def test_detail_endpoints_refuse_a_missing_or_unknown_token(client, db, path, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(path, **extra)
    assert response.status_code == 401
    assert response.json()["detail"]
