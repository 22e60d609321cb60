import pytest

from parcours.pathways.models import FollowUpMember
from tests.factories import MembershipFactory, PersonFactory, TerritoryGrantFactory


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def refugee_pathway(db, membership):
    """A pathway of a refugee (sensitive data filled in) whose referent is `membership`."""
    from tests.factories import PathwayFactory

    return PathwayFactory(referent=membership, person=PersonFactory(refugee=True, has_rqth=True))


@pytest.fixture
def plain_member(db, pathway):
    """A member of `pathway`'s follow-up group who is not the referent, from another organisation."""
    other = MembershipFactory()
    FollowUpMember.objects.create(pathway=pathway, membership=other, start_reason="Suivi emploi")
    return other


@pytest.fixture
def outsider(db):
    """A professional of the territory outside the follow-up group."""
    return MembershipFactory()


@pytest.fixture
def orientation_officer(db, pathway):
    """A chargé·e d'orientation holding a territory grant on the pathway's département."""
    return TerritoryGrantFactory(departement=pathway.departement).membership


def shows(html: str, text: str) -> bool:
    """Whether the page shows this text (as the template escaped it)."""
    from django.utils.html import escape

    return escape(text) in html
