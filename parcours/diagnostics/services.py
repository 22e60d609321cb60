"""Writes on diagnostics: a new version each time, never an edit of an earlier one."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.models import Membership
from parcours.people.enums import DataCategory
from parcours.people.models import Person, is_known_language
from parcours.people.selectors import consented_categories

from .enums import CECRL_ORDER, SENSITIVE_THEMES, AssessmentMethod, NeedLevel, Theme
from .models import Diagnostic, IntegrationContract, LanguageLevel, Situation, ThemeAssessment


@transaction.atomic
def diagnostic_record(
    *,
    person: Person,
    pathway,
    themes: dict[str, dict],
    languages: list[dict],
    interpreting_needed: bool,
    interpreting_language: str,
    summary: str,
    membership: Membership,
    acting_user,
) -> Diagnostic:
    """Record a new version of the person's diagnostic.

    `themes` maps a theme to {"need": NeedLevel, "situations": [Situation ids], "note": str}.
    A recorder without consent for health data cannot see the health theme, so it is carried
    over unchanged from the previous version instead of being erased."""
    from parcours.pathways.enums import EventKind
    from parcours.pathways.services import _require_open, _require_seat, event_record

    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    if pathway.person_id != person.pk:
        raise PermissionDenied(_("Ce parcours n'est pas celui de cette personne."))
    Person.objects.select_for_update(no_key=True).filter(pk=person.pk).first()  # one version number at a time
    categories = consented_categories(person=person, membership=membership)
    errors = {}
    unknown_themes = set(themes) - set(Theme.values)
    if unknown_themes:
        errors["themes"] = _("Thème inconnu : %(t)s.") % {"t": ", ".join(sorted(unknown_themes))}
    situation_ids = {sid for t in themes.values() for sid in t.get("situations", [])}
    situations = {s.pk: s for s in Situation.objects.filter(pk__in=situation_ids, is_active=True)}
    for theme, values in themes.items():
        if values.get("need", NeedLevel.NOT_ASSESSED) not in NeedLevel.values:
            errors[f"need_{theme}"] = _("Niveau de besoin inconnu.")
        for sid in values.get("situations", []):
            if sid not in situations or situations[sid].theme != theme:
                errors[f"situations_{theme}"] = _("Situation inconnue pour ce thème.")
        if len(values.get("note", "")) > 2000:
            errors[f"note_{theme}"] = _("La note ne peut dépasser 2 000 caractères.")
    seen_languages = set()
    for index, lang in enumerate(languages):
        if not is_known_language(lang.get("language")):
            errors[f"language_{index}"] = _("Code de langue inconnu : %(code)s.") % {"code": lang.get("language")}
        if lang.get("level") not in CECRL_ORDER:
            errors[f"language_{index}"] = _("Niveau CECRL hors échelle (A1.1 à C2).")
        if lang.get("method") not in AssessmentMethod.values:
            errors[f"language_{index}"] = _("Indiquez comment le niveau a été évalué.")
        if lang.get("language") in seen_languages:
            errors[f"language_{index}"] = _("Cette langue est déjà évaluée dans ce diagnostic.")
        seen_languages.add(lang.get("language"))
        if lang.get("assessed_on") and lang["assessed_on"] > timezone.localdate():
            errors[f"language_{index}"] = _("La date d'évaluation ne peut pas être dans le futur.")
    if interpreting_needed and not interpreting_language:
        errors["interpreting_language"] = _("Précisez la langue d'interprétariat.")
    elif interpreting_needed and not is_known_language(interpreting_language):
        errors["interpreting_language"] = _("Code de langue inconnu : %(code)s.") % {"code": interpreting_language}
    if len(summary) > 4000:
        errors["summary"] = _("La synthèse ne peut dépasser 4 000 caractères.")
    if errors:
        raise ValidationError(errors)

    previous = Diagnostic.objects.filter(person=person).order_by("-version").first()
    version = (Diagnostic.objects.filter(person=person).aggregate(v=Max("version"))["v"] or 0) + 1
    diagnostic = Diagnostic(
        person=person,
        version=version,
        recorded_at=timezone.now(),
        recorded_by=acting_user,
        organisation=membership.organisation,
        interpreting_needed=interpreting_needed,
        interpreting_language=interpreting_language if interpreting_needed else "",
        summary=summary.strip(),
    )
    diagnostic.full_clean()
    diagnostic.save()
    carried = []
    if DataCategory.HEALTH not in categories and previous is not None:
        carried = list(previous.themes.filter(theme__in=SENSITIVE_THEMES).prefetch_related("situations"))
    for theme in Theme.values:
        if theme in SENSITIVE_THEMES and DataCategory.HEALTH not in categories:
            continue
        theme_values = themes.get(theme)
        if not theme_values:
            continue
        assessment = ThemeAssessment.objects.create(
            diagnostic=diagnostic,
            theme=theme,
            need=theme_values.get("need", NeedLevel.NOT_ASSESSED),
            note=theme_values.get("note", "").strip(),
        )
        if theme_values.get("situations"):
            assessment.situations.set(theme_values["situations"])
    for old in carried:
        copy = ThemeAssessment.objects.create(diagnostic=diagnostic, theme=old.theme, need=old.need, note=old.note)
        copy.situations.set(old.situations.all())
    LanguageLevel.objects.bulk_create(
        LanguageLevel(
            diagnostic=diagnostic,
            language=lang["language"],
            level=lang["level"],
            method=lang["method"],
            assessed_on=lang.get("assessed_on"),
        )
        for lang in languages
    )
    event_record(
        pathway=pathway,
        kind=EventKind.DIAGNOSTIC_RECORDED,
        actor=acting_user,
        membership=membership,
        summary=_("Diagnostic version %(v)s enregistré") % {"v": version},
        payload={"diagnostic": diagnostic.pk},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=diagnostic,
        person=person,
    )
    return diagnostic


CIR_FIELDS = frozenset(
    {"signed_on", "french_hours_prescribed", "french_hours_done", "civic_training_done", "french_level_at_signature"}
)


@transaction.atomic
def integration_contract_save(
    *, person: Person, pathway, values: dict, membership: Membership, acting_user
) -> IntegrationContract:
    from parcours.pathways.enums import EventKind
    from parcours.pathways.services import _require_open, _require_seat, event_record

    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    if pathway.person_id != person.pk:
        raise PermissionDenied(_("Ce parcours n'est pas celui de cette personne."))
    unknown = set(values) - CIR_FIELDS
    if unknown:
        raise ValidationError(_("Champ non modifiable : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    contract = IntegrationContract.objects.select_for_update(no_key=True).filter(person=person).first()
    creating = contract is None
    contract = contract or IntegrationContract(person=person)
    changed = [f for f, v in values.items() if getattr(contract, f, None) != v]
    for field, value in values.items():
        setattr(contract, field, value)
    contract.full_clean()
    contract.save()
    event_record(
        pathway=pathway,
        kind=EventKind.CIR_UPDATED,
        actor=acting_user,
        membership=membership,
        summary=_("Contrat d'intégration républicaine : %(h)s h de français réalisées sur %(p)s h")
        % {"h": contract.french_hours_done, "p": contract.french_hours_prescribed},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        obj=contract,
        person=person,
        fields=changed,
    )
    return contract
