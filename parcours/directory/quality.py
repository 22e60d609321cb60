"""Quality score of a service, in the spirit of data·inclusion's `score_qualite` (v1): each applicable
criterion scores 0, 0.5 or 1 and the score is their mean; each criterion not met says what to fix, in
French, for the organisation's administrator. Pure: no ORM, no settings; `today` comes in.

Departure from data·inclusion: freshness is a step (1 under six months, 0.5 under two years, else 0)
rather than a linear decay, so that the message "à mettre à jour" matches the score a user sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Six months, counted in days so that the rule is the same every month of the year.
STALE_AFTER_DAYS = 183
OUTDATED_AFTER_DAYS = 730
DESCRIPTION_IDEAL = range(200, 2001)
DESCRIPTION_SHORT = range(50, 200)


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    value: float
    to_fix: str = ""

    @property
    def ok(self) -> bool:
        return self.value >= 1.0


@dataclass(frozen=True)
class Quality:
    score: float
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def to_fix(self) -> list[Criterion]:
        return [criterion for criterion in self.criteria if not criterion.ok]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _get(service: Mapping[str, Any] | Any, name: str) -> Any:
    if isinstance(service, Mapping):
        return service.get(name)
    return getattr(service, name, None)


def is_stale(date_maj: dt.date | None, today: dt.date) -> bool:
    """Not updated for more than six months (183 days): the owner is reminded and the list says so."""
    return date_maj is None or (today - date_maj).days > STALE_AFTER_DAYS


def score(service_fields: Mapping[str, Any] | Any, *, today: dt.date | None = None) -> Quality:
    """Score a service given as a mapping of its model fields (or any object with those attributes)."""
    today = today or dt.date.today()
    s = lambda name: _get(service_fields, name)  # noqa: E731
    modes_accueil = set(s("modes_accueil") or [])
    modes_mobilisation = set(s("modes_mobilisation") or [])
    mobilisable_par = set(s("mobilisable_par") or [])
    criteria: list[Criterion] = []

    if "en-presentiel" in modes_accueil or "se-presenter" in modes_mobilisation:
        criteria.append(
            Criterion(
                "adresse",
                "Adresse",
                1.0 if s("adresse") else 0.0,
                "Indiquez l'adresse où le public est accueilli (le service est proposé en présentiel).",
            )
        )
    if "telephoner" in modes_mobilisation:
        criteria.append(
            Criterion(
                "telephone",
                "Téléphone",
                1.0 if s("telephone") else 0.0,
                "Indiquez le numéro à appeler : le service se mobilise par téléphone.",
            )
        )
    if "envoyer-un-courriel" in modes_mobilisation:
        criteria.append(
            Criterion(
                "courriel",
                "Courriel",
                1.0 if s("courriel") else 0.0,
                "Indiquez l'adresse électronique à utiliser : le service se mobilise par courriel.",
            )
        )
    mobilisation = (0.5 if modes_mobilisation else 0.0) + (0.5 if mobilisable_par else 0.0)
    missing = []
    if not modes_mobilisation:
        missing.append("les modes de mobilisation")
    if not mobilisable_par:
        missing.append("qui peut mobiliser le service (usagers, professionnels)")
    criteria.append(
        Criterion(
            "mobilisation", "Mobilisation", mobilisation, "Précisez " + " et ".join(missing) + "." if missing else ""
        )
    )
    criteria.append(
        Criterion(
            "contact",
            "Moyen de contact",
            1.0 if any((s("courriel"), s("telephone"), s("lien_mobilisation"))) else 0.0,
            "Donnez au moins un moyen de contact : téléphone, courriel ou lien de mobilisation.",
        )
    )
    length = len((s("description") or "").strip())
    if length in DESCRIPTION_IDEAL:
        description, fix = 1.0, ""
    elif length in DESCRIPTION_SHORT:
        description, fix = 0.5, f"Étoffez la description : {length} caractères, 200 au moins sont recommandés."
    elif length > DESCRIPTION_IDEAL.stop - 1:
        description, fix = 0.5, f"Raccourcissez la description : {length} caractères, 2 000 au plus sont recommandés."
    else:
        description, fix = 0.0, f"Rédigez une vraie description : {length} caractères, 200 au moins sont recommandés."
    criteria.append(Criterion("description", "Description", description, fix))
    criteria.append(
        Criterion(
            "publics",
            "Publics",
            1.0 if s("publics") else 0.0,
            "Indiquez les publics visés (ou « tous publics »).",
        )
    )
    criteria.append(
        Criterion(
            "thematiques",
            "Thématiques",
            1.0 if s("thematiques") else 0.0,
            "Choisissez au moins une thématique.",
        )
    )
    frais = s("frais")
    if not frais:
        criteria.append(Criterion("frais", "Frais", 0.0, "Indiquez si le service est gratuit ou payant."))
    elif frais == "payant" and not s("frais_precisions"):
        criteria.append(Criterion("frais", "Frais", 0.5, "Précisez les frais à la charge du public."))
    else:
        criteria.append(Criterion("frais", "Frais", 1.0))
    date_maj = s("date_maj")
    if isinstance(date_maj, str):
        date_maj = dt.date.fromisoformat(date_maj)
    age = (today - date_maj).days if date_maj else None
    if age is not None and age <= STALE_AFTER_DAYS:
        criteria.append(Criterion("fraicheur", "Fraîcheur", 1.0))
    elif age is not None and age <= OUTDATED_AFTER_DAYS:
        criteria.append(
            Criterion(
                "fraicheur",
                "Fraîcheur",
                0.5,
                "Vérifiez et mettez à jour le service : plus de six mois sans mise à jour.",
            )
        )
    else:
        criteria.append(
            Criterion("fraicheur", "Fraîcheur", 0.0, "Mettez à jour le service : plus de deux ans sans mise à jour.")
        )
    total = sum(criterion.value for criterion in criteria) / len(criteria)
    return Quality(score=round(total, 2), criteria=criteria)
