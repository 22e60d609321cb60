"""The recommendations for one person, as one follow-up member may see them: the inputs gathered
in a fixed number of queries (about fifteen whatever the size of the referential, the offer or the
person's file), ranked by the pure parcours/matching/scoring.py, without the proposals the
counsellors already decided on. See docs/recommendations.md."""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parcours.diagnostics.enums import SENSITIVE_THEMES, NeedLevel
from parcours.diagnostics.models import Diagnostic, IntegrationContract, LanguageLevel, ThemeAssessment
from parcours.directory.search import DEFAULT_DISTANCE_KM, MAX_DISTANCE_KM, MIN_DISTANCE_KM, SearchCriteria
from parcours.directory.selectors import criteria_with_commune, search_queryset
from parcours.occupations.models import ReleaseStatus, RomeJob, RomeRelease
from parcours.occupations.selectors import mobility_targets, shared_skills, tension_for
from parcours.organisations.enums import ACCOMPANYING_ROLES
from parcours.organisations.models import Membership
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.people.enums import DataCategory, HouseholdKind, RightsStatus
from parcours.people.models import ForeignQualification, JobWish, Person, WorkExperience
from parcours.programmes.enums import ACTIVE_STATES, SEAT_STATES
from parcours.programmes.facts import eligibility_for_programmes
from parcours.programmes.models import Enrolment, Programme, Session
from parcours.programmes.selectors import open_sessions_q
from parcours.territories import geo

from . import scoring
from .enums import FeedbackDecision, RecommendationKind
from .models import RecommendationFeedback, ThemeThematique

OPEN_NEEDS = (NeedLevel.PRIORITY, NeedLevel.TO_WORK_ON)
FRENCH = "fr"
# Travel limit from the person's maximum travel time: km per minute without a vehicle (public
# transport, ≈ 30 km/h) and with one (≈ 48 km/h door to door).
KM_PER_MINUTE = 0.5
KM_PER_MINUTE_VEHICLE = 0.8
# How many services are read before ranking (the nearest ones, priority needs first).
SERVICE_CANDIDATES = 60
SERVICE_TEXTS = (
    "description",
    "facets",
    "frais_precisions",
    "publics_precisions",
    "conditions_acces",
    "mobilisation_precisions",
    "horaires_accueil",
    "next_sessions",
)
# How many open sessions are read at most (those around the person when the commune is known).
SESSION_CANDIDATES = 300
YOUNG_AGE = 26


def travel_limit_km(max_travel_minutes: int | None, has_vehicle: bool) -> float:
    """The distance a person can travel, in km, within the directory search bounds."""
    if not max_travel_minutes:
        return float(DEFAULT_DISTANCE_KM)
    km = max_travel_minutes * (KM_PER_MINUTE_VEHICLE if has_vehicle else KM_PER_MINUTE)
    return float(min(MAX_DISTANCE_KM, max(MIN_DISTANCE_KM, round(km))))


def _may_ask(membership: Membership | None) -> bool:
    """The part of the follow-up check that needs no query; the rest (active membership,
    organisation and user, current follow-up seat) is one EXISTS in the person's query."""
    return membership is not None and membership.pk is not None and membership.role in ACCOMPANYING_ROLES


def _person(*, pathway: Pathway, membership: Membership, categories: frozenset[str]) -> Person:
    """The person with their commune, whether `membership` follows the pathway, the current ROME
    release, the latest diagnostic and French level, and their foreign qualifications: one query.
    Sensitive fields the reader may not see are not read."""
    latest = Diagnostic.objects.filter(person_id=OuterRef("pk")).order_by("-version")
    french = (
        LanguageLevel.objects.filter(diagnostic__person_id=OuterRef("pk"), language=FRENCH)
        .order_by("-diagnostic__version")
        .values("level")[:1]
    )
    hidden = [
        name for category, names in Person.SENSITIVE_FIELDS.items() if category not in categories for name in names
    ]
    return (
        Person.objects.filter(pk=pathway.person_id)
        .select_related("commune__departement", "commune__epci")
        .defer(*hidden)
        .annotate(
            is_follower=Exists(
                FollowUpMember.objects.filter(
                    pathway_id=pathway.pk,
                    membership_id=membership.pk,
                    ended_at__isnull=True,
                    membership__is_active=True,
                    membership__organisation__is_active=True,
                    membership__user__is_active=True,
                )
            ),
            release_id=Subquery(
                RomeRelease.objects.filter(status=ReleaseStatus.CURRENT).values("id")[:1], output_field=IntegerField()
            ),
            diagnostic_id=Subquery(latest.values("id")[:1]),
            interpreting_language=Subquery(latest.filter(interpreting_needed=True).values("interpreting_language")[:1]),
            diagnostic_french=Subquery(french),
            cir_french=Subquery(
                IntegrationContract.objects.filter(person_id=OuterRef("pk")).values("french_level_at_signature")[:1]
            ),
            n_foreign=Subquery(
                ForeignQualification.objects.filter(person_id=OuterRef("pk"))
                .order_by()
                .values("person_id")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            n_recognised=Subquery(
                ForeignQualification.objects.filter(person_id=OuterRef("pk"), recognition="obtained")
                .order_by()
                .values("person_id")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
        )
        .get()
    )


def _job_sources(person_id: int) -> list[scoring.JobSource]:
    """Experiences, wishes and targets as (origin, sheet, appellation): one query (a UNION)."""
    experiences = (
        WorkExperience.objects.filter(person_id=person_id)
        .annotate(
            origin=Value("experience", output_field=CharField()),
            sheet=F("rome_id"),
            appellation_code=F("appellation_id"),
            appellation_text=F("appellation__label"),
            appellation_regulated=F("appellation__is_regulated"),
            duration=F("years"),
        )
        .values_list("origin", "sheet", "appellation_code", "appellation_text", "appellation_regulated", "duration")
        .order_by()  # SQLite refuses an ORDER BY (the models' default) inside a UNION
    )
    wishes = (
        JobWish.objects.filter(person_id=person_id)
        .annotate(
            origin=F("kind"),
            sheet=F("appellation__rome_id"),
            appellation_code=F("appellation_id"),
            appellation_text=F("appellation__label"),
            appellation_regulated=F("appellation__is_regulated"),
            duration=Value(None, output_field=DecimalField(max_digits=4, decimal_places=1)),
        )
        .values_list("origin", "sheet", "appellation_code", "appellation_text", "appellation_regulated", "duration")
        .order_by()
    )
    rows = sorted(experiences.union(wishes, all=True), key=lambda r: (r[0], r[1], r[2] or 0))
    return [
        scoring.JobSource(
            code=code,
            origin=origin,
            appellation_code=appellation_code,
            appellation_label=label or "",
            years=float(years or 0),
            regulated=regulated,
        )
        for origin, code, appellation_code, label, regulated, years in rows
    ]


def _job_inputs(
    *, person: Person, departement_code: str | None, french_level: str, excluded: frozenset[str], limit: int
) -> tuple[scoring.JobInputs, list[str]]:
    """What the job ranking reads (at most six queries), and notes."""
    notes: list[str] = []
    sources = _job_sources(person.pk)
    if not sources:
        notes.append(
            _(
                "Aucune expérience ni métier souhaité : ajoutez-en dans la fiche de la personne pour obtenir des "
                "propositions de métiers."
            )
        )
        return scoring.JobInputs(sources=[], sheets={}, limit=limit), notes
    release_id = person.release_id  # type: ignore[attr-defined]
    experience_codes = sorted({s.code for s in sources if s.origin == "experience"})
    mobility: dict[str, list[tuple[str, int]]] = {}
    if release_id is None:
        notes.append(_("Référentiel ROME non chargé : ni mobilités ni compétences partagées."))
    elif experience_codes:
        mobility = mobility_targets(experience_codes, release_id=release_id)
    codes = {s.code for s in sources} | {target for links in mobility.values() for target, _order in links}
    sheets = {
        job.code: scoring.SheetFacts(
            code=job.code,
            label=job.label,
            regulated=job.is_regulated,
            french_level=job.domain.french_level if job.domain else "",
            domain_label=job.domain.label if job.domain else "",
        )
        for job in RomeJob.objects.filter(code__in=codes).select_related("domain")
    }
    shared = (
        shared_skills(experience_codes, sorted(codes - excluded), release_id=release_id)
        if release_id is not None
        else {}
    )
    tension = tension_for(sorted(codes - excluded), departement_code)
    inputs = scoring.JobInputs(
        sources=sources,
        sheets=sheets,
        mobility=mobility,
        tension=tension,
        shared=shared,
        french_level=french_level,
        foreign_qualifications=person.n_foreign or 0,  # type: ignore[attr-defined]
        recognised_qualifications=person.n_recognised or 0,  # type: ignore[attr-defined]
        excluded=excluded,
        limit=limit,
    )
    return inputs, notes


def _person_publics(person: Person, categories: frozenset[str]) -> frozenset[str]:
    """The data·inclusion publics the person belongs to, from what the reader may see."""
    publics = set()
    if person.sex == "F":
        publics.add("femmes")
    if person.birth_date and person.age < YOUNG_AGE:
        publics.add("jeunes")
    if person.arrival_date:
        publics.add("personnes-exilees")
    if person.rsa_status == RightsStatus.OPEN:
        publics.add("beneficiaires-des-minimas-sociaux")
    if person.are_status == RightsStatus.OPEN or person.france_travail_id:
        publics.add("demandeurs-emploi")
    if person.household == HouseholdKind.SINGLE_PARENT:
        publics.add("familles")
    if DataCategory.DISABILITY in categories and person.has_rqth:
        publics.add("personnes-en-situation-de-handicap")
    return frozenset(publics)


def _open_needs(*, person: Person, categories: frozenset[str]) -> list[scoring.OpenNeed]:
    """The open needs of the latest diagnostic with the thématiques the (editable) mapping gives
    them, in one query (a UNION: each open theme once, then each of its thématiques). The health
    theme only with consent for health data."""
    diagnostic_id = person.diagnostic_id  # type: ignore[attr-defined]
    if diagnostic_id is None:
        return []
    assessments = ThemeAssessment.objects.filter(diagnostic_id=diagnostic_id, need__in=OPEN_NEEDS)
    if DataCategory.HEALTH not in categories:
        assessments = assessments.exclude(theme__in=SENSITIVE_THEMES)
    themes = (
        assessments.annotate(code=Value("", output_field=CharField())).values_list("theme", "need", "code").order_by()
    )
    mapped = (
        ThemeThematique.objects.filter(theme__in=assessments.values("theme"))
        .annotate(need=Value("", output_field=CharField()))
        .values_list("theme", "need", "thematique")
        .order_by()
    )
    levels: dict[str, str] = {}
    by_theme: dict[str, set[str]] = {}
    for theme, need, thematique in themes.union(mapped, all=True):
        if need:
            levels[theme] = need
        if thematique:
            by_theme.setdefault(theme, set()).add(thematique)
    return [
        scoring.OpenNeed(theme=theme, need=need, thematiques=frozenset(by_theme.get(theme, ())))
        for theme, need in sorted(levels.items())
    ]


def _service_inputs(
    *,
    person: Person,
    needs: list[scoring.OpenNeed],
    limit_km: float,
    languages: list[str],
    publics: frozenset[str],
    excluded: frozenset[str],
    limit: int,
) -> scoring.ServiceInputs:
    """The published services of the needs' thématiques around the person (the nearest
    SERVICE_CANDIDATES, those answering a priority need first): one query."""
    thematiques = sorted({code for need in needs for code in need.thematiques})
    criteria = SearchCriteria(thematiques=thematiques, distance_km=limit_km)
    if person.commune is not None:
        criteria = criteria_with_commune(criteria, person.commune)
    candidates: list[scoring.ServiceCandidate] = []
    if thematiques:
        priority = sorted({code for need in needs if need.need == NeedLevel.PRIORITY for code in need.thematiques})
        excluded_ids = [int(key) for key in excluded if key.isdigit()]

        def ranked(qs):
            # The long texts are not shown on the proposals: not read.
            qs = qs.defer(*SERVICE_TEXTS, "structure__description")
            if excluded_ids:
                qs = qs.exclude(pk__in=excluded_ids)
            if priority:
                first = Q()
                for code in priority:
                    first |= Q(facets__contains=f" th:{code} ")
                qs = qs.order_by(
                    Case(When(first, then=Value(0)), default=Value(1), output_field=IntegerField()),
                    F("distance_km").asc(nulls_last=True),
                    "nom",
                    "pk",
                )
            return qs

        # Services within reach first (the indexed bounding box keeps this query small whatever the
        # size of the offer); services delivered remotely only when fewer than `limit` are within
        # reach: a national offer holds thousands of them, and reading them all for every person
        # would cost more than everything else together.
        located = criteria.has_location
        near = ranked(search_queryset(replace(criteria, include_remote=not located)))
        services = list(near[:SERVICE_CANDIDATES])
        if located and len(services) < limit:
            # In key order, so that PostgreSQL stops at the first matches instead of sorting every
            # remote service of the country; the scorer ranks them afterwards.
            remote = search_queryset(replace(criteria, latitude=None, longitude=None)).filter(remote=True)
            remote = remote.defer(*SERVICE_TEXTS, "structure__description").order_by("pk")
            if excluded_ids:
                remote = remote.exclude(pk__in=excluded_ids)
            seen = {service.pk for service in services}
            services += [s for s in remote[: SERVICE_CANDIDATES - len(services)] if s.pk not in seen]
        candidates = [
            scoring.ServiceCandidate(service=service, distance_km=service.distance_km)  # type: ignore[attr-defined]
            for service in services
        ]
    return scoring.ServiceInputs(
        candidates=candidates,
        needs=needs,
        criteria=replace(criteria, languages=languages),
        limit_km=limit_km,
        person_publics=publics,
        excluded=excluded,
        limit=limit,
    )


def _programme_inputs(
    *,
    pathway: Pathway,
    membership: Membership,
    person: Person,
    person_jobs: dict[str, str],
    job_labels: dict[str, str],
    limit_km: float,
    excluded: frozenset[str],
    limit: int,
) -> tuple[scoring.ProgrammeInputs, int]:
    """Active programmes the person is not already in, their eligibility (as the reader may see
    the facts), their open sessions around the person with free places, and the jobs they prepare
    for: six queries. Also returns how many programmes the person is already in."""
    live = Enrolment.objects.filter(pathway__person_id=person.pk, programme_id=OuterRef("pk"), state__in=ACTIVE_STATES)
    programmes = list(
        Programme.objects.filter(is_active=True)
        .exclude(code__in=excluded)
        .annotate(is_live=Exists(live))
        .order_by("code")
    )
    already = sum(1 for p in programmes if p.is_live)  # type: ignore[attr-defined]
    programmes = [p for p in programmes if not p.is_live]  # type: ignore[attr-defined]
    if not programmes:
        return scoring.ProgrammeInputs(
            candidates=[], person_jobs=person_jobs, job_labels=job_labels, limit_km=limit_km, limit=limit
        ), already
    results = eligibility_for_programmes(pathway=pathway, programmes=programmes, membership=membership)
    wanted = [p.pk for p in programmes if results[p.pk].status != scoring.NOT_ELIGIBLE]

    commune = person.commune
    located = commune is not None and commune.latitude is not None and commune.longitude is not None
    sessions_qs = (
        Session.objects.filter(open_sessions_q(), programme_id__in=wanted)
        .select_related("commune", "operator")
        .annotate(seats_taken=Count("enrolments", filter=Q(enrolments__state__in=SEAT_STATES)))
        .annotate(free_places=Greatest(F("places") - F("seats_taken"), Value(0)))
        .filter(free_places__gt=0)
        .order_by("starts_on", "pk")
    )
    if located:
        assert commune is not None and commune.latitude is not None and commune.longitude is not None
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(commune.latitude, commune.longitude, limit_km)
        sessions_qs = sessions_qs.filter(
            commune__latitude__range=(min_lat, max_lat), commune__longitude__range=(min_lon, max_lon)
        )
    sessions = list(sessions_qs[:SESSION_CANDIDATES]) if wanted else []

    # The jobs of the programmes and of the sessions: one query (a UNION of the two link tables).
    programme_jobs: dict[int, set[str]] = {}
    session_jobs: dict[int, set[str]] = {}
    if wanted:
        links = (
            Programme.rome_jobs.through.objects.filter(programme_id__in=wanted)
            .annotate(owner_kind=Value("p", output_field=CharField()), owner=F("programme_id"), job=F("romejob_id"))
            .values_list("owner_kind", "owner", "job")  # type: ignore[misc]
            .order_by()
        )
        if sessions:
            links = links.union(
                Session.target_jobs.through.objects.filter(session_id__in=[s.pk for s in sessions])
                .annotate(owner_kind=Value("s", output_field=CharField()), owner=F("session_id"), job=F("romejob_id"))
                .values_list("owner_kind", "owner", "job")  # type: ignore[misc]
                .order_by(),
                all=True,
            )
        for kind, owner, job in links:
            (programme_jobs if kind == "p" else session_jobs).setdefault(owner, set()).add(job)

    by_programme: dict[int, list[scoring.SessionCandidate]] = {}
    for session in sessions:
        distance = None
        here, there = (commune.latitude, commune.longitude) if commune else (None, None), session.commune
        if here[0] is not None and here[1] is not None and there.latitude is not None and there.longitude is not None:
            distance = geo.great_circle_km(here[0], here[1], there.latitude, there.longitude)
        by_programme.setdefault(session.programme_id, []).append(
            scoring.SessionCandidate(
                session=session,
                distance_km=round(distance, 1) if distance is not None else None,
                free_places=session.free_places,  # type: ignore[attr-defined]
                jobs=frozenset(session_jobs.get(session.pk, ())),
            )
        )
    candidates = [
        scoring.ProgrammeCandidate(
            programme=p,
            result=results[p.pk],
            jobs=frozenset(programme_jobs.get(p.pk, ())),
            sessions=by_programme.get(p.pk, []),
        )
        for p in programmes
    ]
    inputs = scoring.ProgrammeInputs(
        candidates=candidates,
        person_jobs=person_jobs,
        job_labels=job_labels,
        limit_km=limit_km,
        located=located,
        excluded=excluded,
        limit=limit,
    )
    return inputs, already


def recommend_for(
    *, pathway: Pathway, membership: Membership, categories: frozenset[str], limit: int = 10
) -> scoring.PersonRecommendations:
    """Jobs, services and programmes for the pathway's person, best first, with reasons, as
    `membership` may see them (`categories`: what they may read, from consented_categories).
    Proposals with an active decision are left out; the dismissed ones are returned in `dismissed`.
    Only an active follow-up member of the pathway may ask (PermissionDenied otherwise)."""
    refusal = _("Seuls les membres du groupe de suivi de la personne voient les propositions qui la concernent.")
    if not _may_ask(membership):
        raise PermissionDenied(refusal)
    person = _person(pathway=pathway, membership=membership, categories=categories)
    if not person.is_follower:  # type: ignore[attr-defined]
        raise PermissionDenied(refusal)
    notes: list[str] = []

    active = RecommendationFeedback.objects.filter(pathway=pathway, revoked_at__isnull=True)
    decided = list(active.values_list("kind", "key"))
    excluded: dict[str, frozenset[str]] = {
        kind: frozenset(key for k, key in decided if k == kind) for kind in RecommendationKind.values
    }
    dismissed = active.filter(decision=FeedbackDecision.DISMISSED)
    if DataCategory.HEALTH not in categories:
        # A service dismissed for a health need names that need: not for a reader without health
        # consent (it stays out of the proposals all the same).
        dismissed = dismissed.exclude(kind=RecommendationKind.SERVICE, theme__in=SENSITIVE_THEMES)
    dismissed_list = list(dismissed.select_related("decided_by", "organisation").order_by("-decided_at", "-pk"))

    french_level = person.diagnostic_french or person.cir_french or ""  # type: ignore[attr-defined]
    commune = person.commune
    departement_code = commune.departement_id if commune is not None else pathway.departement_id
    if commune is None or commune.latitude is None:
        notes.append(_("Commune inconnue : distance non calculée."))
    limit_km = travel_limit_km(person.max_travel_minutes, person.has_vehicle)

    # Jobs.
    job_inputs, job_notes = _job_inputs(
        person=person,
        departement_code=departement_code,
        french_level=french_level,
        excluded=excluded[RecommendationKind.JOB],
        limit=limit,
    )
    notes += job_notes
    jobs = scoring.score_jobs(job_inputs)

    # Services.
    services: list[scoring.ServiceProposal] = []
    if person.diagnostic_id is None:  # type: ignore[attr-defined]
        notes.append(_("Aucun diagnostic : les services ne peuvent pas être proposés à partir des besoins."))
    else:
        needs = _open_needs(person=person, categories=categories)
        if not needs:
            notes.append(_("Aucun besoin ouvert dans le dernier diagnostic : aucun service proposé."))
        for need in needs:
            if not need.thematiques:
                notes.append(
                    _("Le besoin « %(theme)s » n'a pas de thématique associée : aucun service proposé pour lui.")
                    % {"theme": scoring.theme_label(need.theme)}
                )
        languages: list[str] = []
        if scoring.below_autonomy(french_level):
            languages = [code for code in person.languages or [] if code != FRENCH]
            interpreting = person.interpreting_language  # type: ignore[attr-defined]
            if interpreting and interpreting not in languages:
                languages.append(interpreting)
        if needs:
            service_inputs = _service_inputs(
                person=person,
                needs=needs,
                limit_km=limit_km,
                languages=languages,
                publics=_person_publics(person, categories),
                excluded=excluded[RecommendationKind.SERVICE],
                limit=limit,
            )
            services = scoring.score_services(service_inputs)

    # Programmes.
    person_jobs: dict[str, str] = {}
    for source in sorted(job_inputs.sources, key=lambda s: scoring.ORIGINS.index(s.origin), reverse=True):
        person_jobs[source.code] = source.origin  # the closest origin wins (written last)
    for links in job_inputs.mobility.values():
        for target, _order in links:
            person_jobs.setdefault(target, "mobility")
    job_labels = {code: sheet.label for code, sheet in job_inputs.sheets.items()}
    programme_inputs, already = _programme_inputs(
        pathway=pathway,
        membership=membership,
        person=person,
        person_jobs=person_jobs,
        job_labels=job_labels,
        limit_km=limit_km,
        excluded=excluded[RecommendationKind.PROGRAMME],
        limit=limit,
    )
    programmes, not_eligible = scoring.score_programmes(programme_inputs)
    if not_eligible:
        notes.append(
            ngettext(
                "%(n)s programme non proposé : la personne n'y est pas éligible.",
                "%(n)s programmes non proposés : la personne n'y est pas éligible.",
                not_eligible,
            )
            % {"n": not_eligible}
        )
    if already:
        notes.append(
            ngettext(
                "%(n)s programme non proposé : la personne y est déjà inscrite ou candidate.",
                "%(n)s programmes non proposés : la personne y est déjà inscrite ou candidate.",
                already,
            )
            % {"n": already}
        )
    notes.append(
        _("Distance maximale retenue : %(km)s km (%(why)s).")
        % {
            "km": f"{limit_km:g}",
            "why": (
                _("trajet de %(minutes)s minutes, %(how)s")
                % {
                    "minutes": person.max_travel_minutes,
                    "how": _("avec un véhicule") if person.has_vehicle else _("en transports en commun"),
                }
                if person.max_travel_minutes
                else _("temps de trajet non renseigné")
            ),
        }
    )
    return scoring.PersonRecommendations(
        jobs=jobs, services=services, programmes=programmes, dismissed=dismissed_list, notes=notes
    )


def theme_mapping() -> dict[str, list[str]]:
    """The editable theme → thématiques table ({theme: [thématique, …]}, alphabetical), one query.
    The directory's search prefilled from a pathway reads it too, so that an administrator's edit
    changes both the proposals and that search."""
    mapping: dict[str, list[str]] = {}
    for theme, code in ThemeThematique.objects.order_by("theme", "thematique").values_list("theme", "thematique"):
        mapping.setdefault(theme, []).append(code)
    return mapping
