"""The timeline tab: newest first, 25 per page, filter by kind, bounded queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from tests.www.pathways.conftest import html_of


def _events(pathway, n, kind=EventKind.NOTE_ADDED, label="Évènement"):
    start = timezone.now() - datetime.timedelta(days=1)
    Event.objects.bulk_create(
        Event(pathway=pathway, kind=kind, summary=f"{label} {i:03d}", at=start + datetime.timedelta(minutes=i))
        for i in range(n)
    )


@pytest.mark.django_db
def test_timeline_lists_events_newest_first(login, membership, pathway):
    _events(pathway, 3)
    html = html_of(login(membership).get(reverse("pathway_timeline", args=[pathway.pk])))
    assert html.index("Évènement 002") < html.index("Évènement 001") < html.index("Évènement 000")


@pytest.mark.django_db
def test_timeline_is_paginated_by_25(login, membership, pathway):
    _events(pathway, 30)
    client = login(membership)
    first = html_of(client.get(reverse("pathway_timeline", args=[pathway.pk])))
    assert "Évènement 029" in first and "Évènement 005" in first
    assert "Évènement 004" not in first
    assert "fr-pagination" in first
    second = html_of(client.get(reverse("pathway_timeline", args=[pathway.pk]), {"page": 2}))
    assert "Évènement 004" in second
    assert "Évènement 005" not in second


@pytest.mark.django_db
def test_timeline_filters_by_kind(login, membership, pathway):
    _events(pathway, 2, kind=EventKind.NOTE_ADDED, label="Note")
    _events(pathway, 2, kind=EventKind.GOAL_ADDED, label="Objectif")
    html = html_of(
        login(membership).get(reverse("pathway_timeline", args=[pathway.pk]), {"kind": EventKind.GOAL_ADDED})
    )
    assert "Objectif 001" in html
    assert "Note 001" not in html


@pytest.mark.django_db
def test_timeline_keeps_the_filter_across_pages(login, membership, pathway):
    _events(pathway, 30, kind=EventKind.GOAL_ADDED, label="Objectif")
    html = html_of(
        login(membership).get(reverse("pathway_timeline", args=[pathway.pk]), {"kind": EventKind.GOAL_ADDED})
    )
    assert "page=2&amp;kind=goal_added" in html


@pytest.mark.django_db
def test_unknown_kind_filter_shows_an_error_and_all_events(login, membership, pathway):
    _events(pathway, 2)
    html = html_of(login(membership).get(reverse("pathway_timeline", args=[pathway.pk]), {"kind": "piratage"}))
    assert "Sélectionnez un choix valide" in html
    assert "Évènement 001" in html


@pytest.mark.django_db
def test_timeline_does_not_show_another_pathways_events(login, membership, pathway):
    from tests.factories import PathwayFactory

    other = PathwayFactory()
    _events(other, 1, label="Secret")
    html = html_of(login(membership).get(reverse("pathway_timeline", args=[pathway.pk])))
    assert "Secret" not in html


@pytest.mark.django_db
def test_timeline_stays_within_15_queries_with_200_events(login, membership, pathway, django_assert_max_num_queries):
    _events(pathway, 200)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_timeline", args=[pathway.pk]), {"page": 3})
    assert response.status_code == 200
