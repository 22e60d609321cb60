import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, MembershipFactory, PathwayFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Login throttling counters live in the cache: each test starts clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def membership(db):
    return MembershipFactory()


@pytest.fixture
def pathway(db, membership):
    """A pathway whose referent is `membership`."""
    return PathwayFactory(referent=membership)


@pytest.fixture
def login(client):
    """Log a membership's user in and select that membership as the current organisation."""

    def _login(membership):
        assert client.login(username=membership.user.username, password=PASSWORD)
        session = client.session
        session["current_membership_id"] = membership.pk
        session.save()
        return client

    return _login


@pytest.fixture
def theme_mapping(db):
    """The default theme → thématique mapping. The seeding migration writes it, but a transactional
    test empties every table when it ends, so tests that read the mapping ask for it."""
    from parcours.matching.defaults import seed_theme_thematiques

    seed_theme_thematiques()
