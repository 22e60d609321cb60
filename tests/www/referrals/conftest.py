import pytest

from parcours.organisations.enums import OrganisationKind
from parcours.referrals.services import referral_create
from tests.directory.factories import ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def shows(html: str, text: str) -> bool:
    """Whether the page shows this text, escaped (a variable) or as is ({% translate %} text)."""
    from django.utils.html import escape

    return escape(text) in html or text in html


@pytest.fixture
def association(db):
    return OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name="Association Accueil 44")


@pytest.fixture
def service(db, association):
    """A published service operated by the association (which answers in Parcours)."""
    return ServiceFactory(operator=association, nom="Atelier français langue d'intégration", places_free=3)


@pytest.fixture
def recipient(db, association):
    """A conseiller of the receiving association."""
    return MembershipFactory(organisation=association)


@pytest.fixture
def send(db):
    """Send a referral through the real service (the pathway's referent by default)."""

    def _send(pathway, service, membership, **kwargs):
        params = {
            "theme": "emploi",
            "message": "Bonjour, je vous adresse Mme X pour l'atelier.",
            "shared_categories": ["identity", "contact"],
        }
        params.update(kwargs)
        return referral_create(
            pathway=pathway, service=service, membership=membership, acting_user=membership.user, **params
        )

    return _send
