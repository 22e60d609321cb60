import pytest

from parcours.organisations.enums import OrganisationKind
from tests.directory.factories import ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def recipient_org(db):
    return OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name="Association Trait d'union")


@pytest.fixture
def recipient(recipient_org):
    """A counsellor of the organisation operating the service."""
    return MembershipFactory(organisation=recipient_org, user__email="conseil@trait-union.example")


@pytest.fixture
def service(recipient_org):
    return ServiceFactory(operator=recipient_org, nom="Atelier CV", courriel="accueil@trait-union.example")
