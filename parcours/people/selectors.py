"""Permission-scoped reads about people. Sensitive categories never leave these functions
without the person's current consent for the reader's organisation or role."""

import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from parcours.organisations.models import Membership

from .enums import ORDINARY_CATEGORIES, SENSITIVE_CATEGORIES, ConsentDecision, ConsentPurpose
from .models import Consent, Person

IDENTIFIER_FIELDS = ("nir", "france_travail_id", "caf_number", "ofii_number")


def _grantee_filter(membership: Membership) -> Q:
    """THE rule of who a consent covers: the member's organisation, or the member's role when the
    consent was given to a role rather than to an organisation (the ledger holds one or the other)."""
    return Q(organisation_id=membership.organisation_id) | Q(organisation__isnull=True, role=membership.role)


def _consents_covering(*, membership: Membership, purpose: str) -> QuerySet[Consent]:
    """The current, given consents that cover this membership for this purpose (every person)."""
    return Consent.objects.filter(is_current=True, decision=ConsentDecision.GIVEN, purpose=purpose).filter(
        _grantee_filter(membership)
    )


def consented_categories(
    *, person: Person | int, membership: Membership, purpose: str = ConsentPurpose.ACCOMPANIMENT
) -> frozenset[str]:
    """The data categories this membership may read for this person, for one purpose: the
    ordinary ones (the follow-up group works on them by mission) plus the sensitive ones the person
    consented to for the member's organisation or role and for that purpose (a consent given for a
    referral does not open the pathway pages). One query; read on every request, so that a
    withdrawal takes effect on the next one. Per row in SQL: `consent_exists`."""
    person_id = person if isinstance(person, int) else person.pk
    granted = _consents_covering(membership=membership, purpose=purpose).filter(
        person_id=person_id, category__in=SENSITIVE_CATEGORIES
    )
    return frozenset(ORDINARY_CATEGORIES | set(granted.values_list("category", flat=True)))


def consent_exists(
    *,
    person_ref: OuterRef | F,
    category: str,
    membership: Membership,
    purpose: str = ConsentPurpose.ACCOMPANIMENT,
) -> Exists:
    """The rule of `consented_categories` as a per-row SQL condition: true where the person
    `person_ref` points to (e.g. OuterRef("pathway__person_id")) has a current consent covering
    this membership for `category` and `purpose`. Use it to filter rows that tell a sensitive
    category, e.g. `qs.filter(~Q(theme__in=...) | Q(consent_exists(...)))`."""
    return Exists(
        _consents_covering(membership=membership, purpose=purpose).filter(
            # A Q, not a keyword: the stubs type `person_id=` as a value, not an outer reference.
            Q(person_id=person_ref),
            category=category,
        )
    )


def consent_ledger(*, person: Person) -> QuerySet[Consent]:
    """The whole ledger, current entries and superseded ones, newest first."""
    return Consent.objects.filter(person=person).select_related("organisation", "recorded_by")


def person_duplicates(
    *,
    first_name: str,
    last_name: str,
    birth_date: datetime.date | None,
    identifiers: dict[str, str],
    exclude_id: int | None = None,
) -> QuerySet[Person]:
    """People that look like the one being created: same name and birth date (case-insensitive),
    or the same non-empty official identifier. Used at creation, before anything is written."""
    condition = Q()
    if birth_date and first_name and last_name:
        condition |= Q(
            first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip(), birth_date=birth_date
        )
    for field in IDENTIFIER_FIELDS:
        value = (identifiers.get(field) or "").strip()
        if value:
            condition |= Q(**{field: value})
    if not condition:
        return Person.objects.none()
    qs = Person.objects.filter(condition, anonymised_at__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by(Lower("last_name"), "id")


def hidden_person_fields(categories: frozenset[str]) -> set[str]:
    return {
        field for category, fields in Person.SENSITIVE_FIELDS.items() if category not in categories for field in fields
    }


class RedactedPerson:
    """A read-only view of a Person in which the fields of categories the reader may not see are
    absent (None), not merely hidden in a template. Pair it with `.defer(*hidden)` in the query so
    the values are not even loaded."""

    def __init__(self, person: Person, categories: frozenset[str]):
        self._person = person
        self._hidden = hidden_person_fields(categories)
        self.categories = categories

    def __getattr__(self, name: str):
        if name in self._hidden or any(name == f"get_{f}_display" for f in self._hidden):
            return None
        return getattr(self._person, name)

    def __str__(self) -> str:
        return str(self._person)
