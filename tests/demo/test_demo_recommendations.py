"""The demo's jobs and recommendations: experiences recorded as appellations, wishes and target jobs in
tension, the Pistes persona's ranked jobs, services and programmes with reasons, and the synthetic
decisions that publish acceptance rates for Loire-Atlantique. The demo is loaded once for the module
(then rolled back)."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from parcours.demo import profiles as P
from parcours.demo import territory as T
from parcours.demo.loader import demo_load
from parcours.diagnostics.enums import Theme
from parcours.matching import stats
from parcours.matching.enums import FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback
from parcours.matching.scoring import TENSION_HIGH_PCT
from parcours.matching.selectors import recommend_for
from parcours.occupations.models import JobTension
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.people.models import JobWish, JobWishKind, Person, WorkExperience
from parcours.people.selectors import consented_categories

PERSONS = 80


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_reference", stdout=None)
            yield demo_load(persons=PERSONS, seed=44)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(demo, db):
    return demo


@pytest.fixture
def persona(loaded):
    person = Person.objects.order_by("id").first()
    pathway = Pathway.objects.get(person=person)
    seat = FollowUpMember.objects.select_related("membership__user").get(
        pathway=pathway, is_referent=True, ended_at__isnull=True
    )
    membership = seat.membership
    categories = consented_categories(person=person, membership=membership)
    return {
        "person": person,
        "pathway": pathway,
        "membership": membership,
        "reco": recommend_for(pathway=pathway, membership=membership, categories=categories),
    }


def test_every_experience_is_an_appellation_of_its_sheet(loaded):
    experiences = WorkExperience.objects.all()
    assert experiences.count() > PERSONS
    assert not experiences.filter(appellation__isnull=True).exists()
    assert not experiences.exclude(appellation__rome_id=F("rome_id")).exists()
    assert not experiences.filter(appellation__rarely_used=True).exists()


def _persona():
    return Person.objects.order_by("id").values("id")[:1]


def test_wishes_and_target_jobs_are_jobs_in_tension(loaded):
    generated = Person.objects.order_by("id")[:PERSONS]
    with_wish = Person.objects.filter(pk__in=generated.values("pk"), job_wishes__kind=JobWishKind.WISH).distinct()
    with_target = Person.objects.filter(pk__in=generated.values("pk"), job_wishes__kind=JobWishKind.TARGET).distinct()
    assert PERSONS * 0.25 <= with_wish.count() <= PERSONS * 0.6
    assert PERSONS * 0.05 <= with_target.count() <= PERSONS * 0.3
    in_tension = set(
        JobTension.objects.filter(tension_import__is_current=True, tension_pct__gte=TENSION_HIGH_PCT).values_list(
            "rome_id", flat=True
        )
    )
    assert set(JobWish.objects.values_list("appellation__rome_id", flat=True)) <= in_tension
    # Recorded by a member of the follow-up group, with its timeline event.
    wish = JobWish.objects.select_related("person").order_by("id").last()
    pathway = Pathway.objects.get(person=wish.person)
    assert FollowUpMember.objects.filter(pathway=pathway, membership__user=wish.added_by).exists()
    assert pathway.events.filter(summary__startswith="Fiche mise à jour : métier").exists()


def test_the_persona_sees_ranked_jobs_services_and_programmes_with_reasons(persona):
    reco, membership = persona["reco"], persona["membership"]
    assert membership.user.username == P.MANDATORY[0][1]["referent"]
    assert persona["person"].protection_status in ("refugee", "subsidiary")

    jobs = {job.code: job for job in reco.jobs}
    assert {"K1304", "J1301", "J1501", "K1302"} <= set(jobs)
    assert [job.rank for job in reco.jobs] == list(range(1, len(reco.jobs) + 1))
    assert all(job.reasons for job in reco.jobs)
    assert jobs["K1304"].origin == "experience" and jobs["K1304"].appellation_code == 10805
    assert jobs["J1501"].origin == "wish" and jobs["J1501"].regulated and jobs["J1501"].tension_pct is not None

    first = reco.services[0]
    assert first.service.nom == "Accompagnement vers le logement des personnes réfugiées"
    assert first.theme == Theme.LOGEMENT and first.service.places_free >= 3
    assert first.reasons[0].text == "Répond au besoin « Logement » (prioritaire) du diagnostic"
    assert Theme.MAITRISE_LANGUE in {s.theme for s in reco.services}
    assert all(s.reasons for s in reco.services)

    hope = next(p for p in reco.programmes if p.programme.code == "hope-44")
    assert hope.rank == 1 and hope.result.status == "eligible" and hope.reasons
    reze = [o for o in hope.sessions if o.session.label == "HOPE Rezé — Aide à la personne et soins"]
    assert reze and reze[0].free_places > 0 and reze[0].job_fit
    assert reco.dismissed == []


def test_decisions_are_synthetic_history_of_follow_up_members(loaded):
    decisions = RecommendationFeedback.objects.select_related("pathway")
    assert decisions.exists()
    since = timezone.now() - datetime.timedelta(days=183)
    assert not decisions.filter(decided_at__lt=since).exists()
    assert not decisions.exclude(departement_id=T.DEPARTEMENT).exists()
    assert not decisions.filter(pathway__person__in=_persona()).exists()
    for decision in decisions.order_by("id")[:40]:
        seat = FollowUpMember.objects.filter(
            pathway=decision.pathway, membership__user_id=decision.decided_by_id, started_at__lte=decision.decided_at
        )
        assert seat.exists()
        assert decision.pathway.events.filter(kind="recommendation_decided", payload__feedback=decision.pk).exists()
    assert not decisions.filter(kind=RecommendationKind.SERVICE, theme="").exists()
    assert not decisions.filter(decision=FeedbackDecision.ACCEPTED).exclude(reason="").exists()
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intègre" in out.getvalue()


def test_usage_rates_are_published_for_loire_atlantique(loaded):
    usages = {u.kind: u for u in stats.acceptance_by_kind(departements=[T.DEPARTEMENT], since=None)}
    assert set(usages) == set(RecommendationKind.values)
    for usage in usages.values():
        assert usage.accepted.value >= settings.PUBLICATION_MIN_CELL, usage.kind
        assert usage.dismissed.value >= settings.PUBLICATION_MIN_CELL, usage.kind
        assert usage.rate_percent is not None and not usage.rate_masked, usage.kind
