"""Services delivered remotely are proposed only when fewer than `limit` services are within reach
(a national offer holds thousands of them: reading them all for every person would be slow)."""

import pytest

from parcours.matching.selectors import recommend_for
from parcours.people.selectors import consented_categories
from tests.directory.factories import ANGERS, NANTES, ServiceFactory
from tests.matching.test_selectors import HOUSING, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _service_names(world, limit):  # noqa: F811 - the fixture
    pathway, referent = world["pathway"], world["referent"]
    categories = consented_categories(person=pathway.person_id, membership=referent)
    result = recommend_for(pathway=pathway, membership=referent, categories=categories, limit=limit)
    return [p.service.nom for p in result.services]


def test_remote_services_complete_a_short_list(world):  # noqa: F811 - the fixture
    ServiceFactory(nom="Logement en ligne", thematiques=[HOUSING], place=ANGERS, remote=True)
    names = _service_names(world, limit=10)
    assert "Logement en ligne" in names
    # Within reach first, then the remote one; the far service that is not remote never comes.
    assert names.index("Logement Rezé") < names.index("Logement en ligne")
    assert "Logement Angers" not in names


def test_remote_services_are_not_read_when_enough_are_within_reach(world):  # noqa: F811 - the fixture
    ServiceFactory(nom="Logement en ligne", thematiques=[HOUSING], place=ANGERS, remote=True)
    for index in range(3):
        ServiceFactory(nom=f"Logement Nantes {index}", thematiques=[HOUSING], place=NANTES)
    names = _service_names(world, limit=2)
    assert len(names) == 2
    assert "Logement en ligne" not in names
