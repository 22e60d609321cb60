"""The facts the eligibility evaluator reads about one person, gathered for one reader: only the
data categories that reader may see. A sensitive field the person has not consented to share with
the reader's organisation (or role) is left out, and the category is listed under HIDDEN_KEY, so
that the criterion is "unknown, consent needed", never a silent no and never a leak (not even of
"eligible", which would tell the hidden value)."""

import datetime
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from parcours.diagnostics.models import IntegrationContract, LanguageLevel
from parcours.organisations.models import Membership
from parcours.pathways.models import Pathway
from parcours.people.enums import ORDINARY_CATEGORIES, DataCategory
from parcours.people.models import Person
from parcours.people.selectors import consented_categories

from .eligibility import (
    HIDDEN_KEY,
    UNDETERMINED,
    UNKNOWN,
    CriterionResult,
    EligibilityResult,
    RulesError,
    compile_rules,
)
from .enums import ACTIVE_STATES
from .models import Enrolment, Programme

# Person fields read as facts, by data category (the sensitive ones need consent).
ORDINARY_FIELDS = (
    "birth_date",
    "sex",
    "household",
    "arrival_date",
    "education_level",
    "rsa_status",
    "are_status",
)
SENSITIVE_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.ASYLUM_HISTORY: ("protection_status",),
    DataCategory.RESIDENCE_STATUS: ("right_to_work", "residence_permit_kind"),
    DataCategory.DISABILITY: ("has_rqth",),
}
FRENCH = "fr"


def _categories(*, pathway: Pathway, membership: Membership | None) -> frozenset[str]:
    if membership is None:
        return frozenset(ORDINARY_CATEGORIES)
    return consented_categories(person=pathway.person_id, membership=membership)


def _base_facts(*, pathway: Pathway, membership: Membership | None) -> tuple[dict[str, object], set[int]]:
    """The facts without "enrolled elsewhere", and the programmes the person is live in. Three
    queries: the consent ledger, the person (with the latest French level), the live enrolments."""
    categories = _categories(pathway=pathway, membership=membership)
    readable = list(ORDINARY_FIELDS)
    hidden = []
    for category, names in SENSITIVE_FIELDS.items():
        if category in categories:
            readable.extend(names)
        else:
            hidden.append(str(category))
    latest_level = (
        LanguageLevel.objects.filter(diagnostic__person_id=OuterRef("pk"), language=FRENCH)
        .order_by("-diagnostic__version")
        .values("level")[:1]
    )
    cir_level = IntegrationContract.objects.filter(person_id=OuterRef("pk")).values("french_level_at_signature")[:1]
    row = (
        Person.objects.filter(pk=pathway.person_id)
        .annotate(diagnostic_level=Subquery(latest_level), cir_level=Subquery(cir_level))
        .values(*readable, "commune__departement_id", "diagnostic_level", "cir_level")
        .get()
    )
    facts: dict[str, object] = {name: row[name] for name in readable}
    # Sex "X" is "not stated": not a value a rule can use.
    if facts.get("sex") == "X":
        facts["sex"] = None
    facts["departement"] = row["commune__departement_id"]
    facts["french_level"] = row["diagnostic_level"] or row["cir_level"] or None
    facts[HIDDEN_KEY] = frozenset(hidden)
    live = set(
        Enrolment.objects.filter(pathway__person_id=pathway.person_id, state__in=ACTIVE_STATES).values_list(
            "programme_id", flat=True
        )
    )
    return facts, live


def _evaluate(programme: Programme, facts: dict[str, object], today: datetime.date) -> EligibilityResult:
    """The evaluation; rules stored invalid (written around the service) give "undetermined" with
    the reason, rather than an error page: the declaration service refuses them."""
    try:
        compiled = compile_rules(programme.eligibility_rules or [])
    except RulesError as exc:
        reason = "Règles d'éligibilité du programme invalides : " + " ".join(exc.messages)
        criterion = CriterionResult(
            "rules",
            "Règles du programme",
            "",
            "",
            None,
            "",
            UNKNOWN,
            reason,
            "Signaler le problème au porteur du programme, qui doit corriger ses règles.",
            "",
        )
        return EligibilityResult(UNDETERMINED, (criterion,), today)
    return compiled.evaluate(facts, today=today)


def person_facts(
    *, pathway: Pathway, membership: Membership | None, exclude_programme_id: int | None = None
) -> dict[str, object]:
    """The person's facts as `membership` may see them; `enrolled_elsewhere` is a live enrolment
    (candidate to in progress) in a programme other than `exclude_programme_id`."""
    facts, live = _base_facts(pathway=pathway, membership=membership)
    facts["enrolled_elsewhere"] = bool(live - {exclude_programme_id})
    return facts


def eligibility_for(
    *, pathway: Pathway, programme: Programme, membership: Membership | None, today: datetime.date | None = None
) -> EligibilityResult:
    facts = person_facts(pathway=pathway, membership=membership, exclude_programme_id=programme.pk)
    return _evaluate(programme, facts, today or timezone.localdate())


def eligibility_for_programmes(
    *,
    pathway: Pathway,
    programmes: Iterable[Programme],
    membership: Membership | None,
    today: datetime.date | None = None,
) -> dict[int, EligibilityResult]:
    """The person's eligibility for each programme, reading the facts once (for the lists)."""
    facts, live = _base_facts(pathway=pathway, membership=membership)
    today = today or timezone.localdate()
    results = {}
    for programme in programmes:
        facts["enrolled_elsewhere"] = bool(live - {programme.pk})
        results[programme.pk] = _evaluate(programme, facts, today)
    return results
