import pytest
from django.core.management import CommandError, call_command

from parcours.api.models import ApiToken
from parcours.api.selectors import token_for_key
from parcours.api.services import create_token
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_api_token_create_prints_the_key_once(capsys):
    organisation = OrganisationFactory()
    call_command("api_token_create", "--organisation", str(organisation.pk), "--label", "Conseil départemental")
    output = capsys.readouterr().out
    token = ApiToken.objects.get()
    key = next(line for line in output.splitlines() if line.startswith(token.prefix))
    assert token_for_key(key) == token
    assert token.organisation == organisation and token.label == "Conseil départemental"


def test_api_token_create_refuses_unknown_organisation():
    with pytest.raises(CommandError, match="Organisation inconnue"):
        call_command("api_token_create", "--organisation", "999999", "--label", "x")
    assert not ApiToken.objects.exists()


def test_api_token_revoke_by_prefix(capsys):
    token, key = create_token(organisation=OrganisationFactory(), label="CD44")
    call_command("api_token_revoke", token.prefix)
    assert "révoqué" in capsys.readouterr().out
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_for_key(key) is None


def test_api_token_revoke_refuses_unknown_prefix():
    with pytest.raises(CommandError, match="Aucun jeton"):
        call_command("api_token_revoke", "inconnu!")
