"""The ROME 4.0 importer on France Travail's real release v460 (imported once for the module, in a
transaction rolled back at the end) and on the demo subset (a small extract of the same release)."""

import csv
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F

from parcours.audit.models import AuditEntry
from parcours.diagnostics.enums import CecrlLevel
from parcours.occupations import rome_import
from parcours.occupations.models import (
    Appellation,
    Mobility,
    ProfessionalDomain,
    ReleaseAppellation,
    ReleaseSheet,
    ReleaseStatus,
    RomeJob,
    RomeRelease,
    SheetSkill,
    Skill,
    SkillKind,
    SkillRole,
)
from parcours.occupations.rome_import import (
    ReleaseError,
    current_release,
    load_release,
    switch_release,
)
from parcours.people.models import WorkExperience
from tests.factories import PersonFactory
from tests.shared_data import ROME_DIR

DEMO_DIR = Path(__file__).resolve().parents[2] / "parcours" / "occupations" / "data" / "rome-demo"
REMINDER = (
    "Relancez manage.py tension_import <fichier> : les tensions sont rapprochées des fiches de la version en service."
)
RELEASE_MODELS = (ReleaseSheet, ReleaseAppellation, Skill, SheetSkill, Mobility)


def demo_sheets() -> int:
    """Sheets of the demo subset (it follows the codes the demo and the tests use: counted, not fixed)."""
    with (DEMO_DIR / "unix_referentiel_code_rome_v460_utf8.csv").open(encoding="utf-8", newline="") as handle:
        return sum(1 for _row in csv.DictReader(handle))


@pytest.fixture(scope="module")
def full_release(django_db_setup, django_db_blocker):
    """The whole v460 release imported and in service, for every test of the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            release = load_release(ROME_DIR)
            yield switch_release(release)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def full(full_release, db):
    return RomeRelease.objects.get(pk=full_release.pk)


def rows_of(release):
    return {model.__name__: model.objects.filter(release=release).count() for model in RELEASE_MODELS}


def stable_snapshot():
    return (
        RomeJob.objects.count(),
        RomeJob.objects.filter(in_release=True).count(),
        Appellation.objects.count(),
        Appellation.objects.filter(in_release=True).count(),
        ProfessionalDomain.objects.count(),
        RomeJob.objects.get(code="J1501").label,
    )


@pytest.fixture
def copy(tmp_path):
    """A writable copy of the demo subset (same files and format as the real release)."""
    target = tmp_path / "rome"
    shutil.copytree(DEMO_DIR, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def assert_refused(directory, full, expected: str) -> list[str]:
    before = stable_snapshot()
    current_rows = rows_of(full)
    with pytest.raises(ReleaseError) as caught:
        load_release(directory)
    assert any(expected in message for message in caught.value.messages), caught.value.messages
    failed = RomeRelease.objects.exclude(pk=full.pk).get()
    assert failed.status == ReleaseStatus.FAILED
    assert failed.errors == caught.value.messages
    assert rows_of(failed) == dict.fromkeys(current_rows, 0)
    assert current_release() == full
    assert rows_of(full) == current_rows
    assert stable_snapshot() == before
    return caught.value.messages


# --- the real release -------------------------------------------------------------------------------


def test_full_release_counts(full):
    assert full.status == ReleaseStatus.CURRENT
    assert full.switched_at is not None
    assert full.version == "460"
    assert full.title == "ROME 4.0 version 60 - 25M09"
    assert full.published_on.isoformat() == "2025-09-18"
    assert full.counts == {
        "sheets": 1584,
        "appellations": 13120,
        "skills": 18317 + 15354,
        "sheet_skills": 90556,
        "mobilities": 14912,
        "domains": 110,
    }
    assert rows_of(full) == {
        "ReleaseSheet": 1584,
        "ReleaseAppellation": 13120,
        "Skill": 33671,
        "SheetSkill": 90556,
        "Mobility": 14912,
    }
    assert RomeJob.objects.filter(in_release=True).count() == 1584
    assert Appellation.objects.filter(in_release=True).count() == 13120
    assert full.duration_s is not None


def test_full_release_sheets_and_appellations(full):
    appellation = Appellation.objects.get(code=404030)
    assert appellation.label == "Conducteur / Conductrice d'engins agricoles"
    assert appellation.rome_id == "A1101"
    assert appellation.is_principal and not appellation.rarely_used
    assert appellation.search_text.startswith(" conducteur conductrice d engins agricoles ")
    aide_soignant = RomeJob.objects.get(code="J1501")
    assert aide_soignant.is_regulated
    assert aide_soignant.domain_id == "J15"
    assert aide_soignant.transition_demo and not aide_soignant.transition_num
    forest = RomeJob.objects.get(code="A1102")
    assert (forest.parent_code, forest.ogr_code, forest.riasec_major) == ("A1101", 403950, "R")
    assert forest.transition_eco == "Emploi stratégique pour la Transition écologique"
    assert RomeJob.objects.exclude(parent_code=F("code")).count() == 1052


def test_full_release_mobility_skills_and_roles(full):
    assert Mobility.objects.get(release=full, source_code="A1101", target_code="A1102").order == 6
    roles = {role: SheetSkill.objects.filter(release=full, role=role).count() for role in SkillRole.values}
    assert roles == {SkillRole.CORE: 18900, SkillRole.EMERGING: 1731, SkillRole.OTHER: 69925}
    core = SheetSkill.objects.get(release=full, rome_code="J1501", skill_code=107740)
    assert (core.role, core.section) == (SkillRole.CORE, "savoir_faire")
    kinds = {kind: Skill.objects.filter(release=full, kind=kind).count() for kind in SkillKind.values}
    assert kinds == {
        SkillKind.COMPETENCE: 17810,
        SkillKind.MACRO: 491,
        SkillKind.SAVOIR_ETRE: 16,
        SkillKind.SAVOIR: 15354,
    }
    sections = {
        s: SheetSkill.objects.filter(release=full, section=s).count() for s in ("savoir_faire", "savoir_etre", "savoir")
    }
    assert sections == {"savoir_faire": 49440, "savoir_etre": 5255, "savoir": 35861}


def test_full_release_domains(full):
    assert ProfessionalDomain.objects.count() == 110
    soins = ProfessionalDomain.objects.get(code="J15")
    assert soins.label == "Soins paramédicaux"
    assert soins.grand_domain_code == "J"
    assert len({d["grand_domaine"] for d in full.domains}) == 14
    assert {"code": "A11", "label": "Engins agricoles et forestiers", "grand_domaine": "A"}.items() <= full.domains[
        0
    ].items()


def test_the_import_and_the_switch_are_audited(full):
    reasons = list(
        AuditEntry.objects.filter(object_type="occupations.romerelease", object_id=str(full.pk)).values_list(
            "reason", flat=True
        )
    )
    assert any(reason.startswith("Chargement du ROME 4.0 v460") for reason in reasons)
    assert any(reason.startswith("Mise en service du ROME 4.0 v460") for reason in reasons)


# --- switching ---------------------------------------------------------------------------------------


def absent_from_demo() -> str:
    demo_codes = set(ReleaseSheet.objects.filter(release__source__endswith="rome-demo").values_list("code", flat=True))
    return RomeJob.objects.exclude(code__in=demo_codes).order_by("code").values_list("code", flat=True).first()


def test_a_code_missing_from_the_new_release_is_kept_for_experiences(full):
    demo = load_release(DEMO_DIR)
    code = absent_from_demo()
    appellation = Appellation.objects.filter(rome_id=code).first()
    experience = WorkExperience.objects.create(person=PersonFactory(), rome_id=code, appellation=appellation, years=2)

    switch_release(demo)

    job = RomeJob.objects.get(code=code)
    assert not job.in_release
    assert not Appellation.objects.get(pk=appellation.pk).in_release
    experience.refresh_from_db()
    assert (experience.rome_id, experience.appellation_id) == (code, appellation.pk)
    assert RomeJob.objects.filter(in_release=True).count() == demo_sheets()
    assert RomeJob.objects.count() == 1584
    assert current_release() == demo
    full.refresh_from_db()
    assert full.status == ReleaseStatus.SUPERSEDED
    assert rows_of(full)["ReleaseSheet"] == 1584  # kept to switch back


def test_rollback_to_the_previous_release(full):
    demo = switch_release(load_release(DEMO_DIR))
    code = absent_from_demo()

    switch_release(full)

    assert current_release() == full
    demo.refresh_from_db()
    assert demo.status == ReleaseStatus.SUPERSEDED
    assert RomeJob.objects.get(code=code).in_release
    assert RomeJob.objects.filter(in_release=True).count() == 1584
    assert Appellation.objects.filter(in_release=True).count() == 13120


def test_french_level_of_a_domain_survives_a_new_release(full):
    ProfessionalDomain.objects.filter(code="J15").update(label="Ancien libellé", french_level=CecrlLevel.B2)

    switch_release(load_release(DEMO_DIR))

    soins = ProfessionalDomain.objects.get(code="J15")
    assert soins.french_level == CecrlLevel.B2
    assert soins.label == "Soins paramédicaux"


def test_rows_of_releases_older_than_the_previous_one_are_deleted(full):
    first = switch_release(load_release(DEMO_DIR))
    second = switch_release(load_release(DEMO_DIR))

    assert rows_of(full)["ReleaseSheet"] == 0
    assert rows_of(first)["ReleaseSheet"] == demo_sheets()
    assert rows_of(second)["ReleaseSheet"] == demo_sheets()
    assert RomeRelease.objects.filter(pk=full.pk).exists()
    with pytest.raises(ReleaseError) as caught:
        switch_release(full)
    assert caught.value.messages == [
        f"Les données de la version n° {full.pk} ont été supprimées : importez à nouveau ses fichiers."
    ]
    assert current_release() == second


def test_switch_of_a_failed_release_is_refused(full, copy):
    (copy / "unix_rubrique_mobilite_v460_utf8.csv").unlink()
    with pytest.raises(ReleaseError):
        load_release(copy)
    failed = RomeRelease.objects.get(status=ReleaseStatus.FAILED)
    before = stable_snapshot()

    with pytest.raises(ReleaseError) as caught:
        switch_release(failed)

    assert caught.value.messages == [
        f"La version n° {failed.pk} ne peut pas être mise en service : elle est « Refusée »."
    ]
    assert current_release() == full
    assert stable_snapshot() == before


def test_switch_of_the_current_release_is_refused(full):
    with pytest.raises(ReleaseError) as caught:
        switch_release(full)
    assert caught.value.messages == ["La version 460 est déjà en service."]


# --- bad input: nothing written, the release in service untouched -----------------------------------


def test_missing_file_is_refused(full, copy):
    (copy / "unix_rubrique_mobilite_v460_utf8.csv").unlink()
    messages = assert_refused(copy, full, "Fichier manquant : unix_rubrique_mobilite_v460_utf8.csv.")
    assert len(messages) == 1


def test_renamed_column_is_refused(full, copy):
    edit(copy / "unix_referentiel_code_rome_v460_utf8.csv", '"libelle_rome"', '"libelle_fiche"')
    assert_refused(
        copy,
        full,
        "unix_referentiel_code_rome_v460_utf8.csv : colonne(s) attendue(s) absente(s) : libelle_rome",
    )


def test_extra_columns_are_tolerated(full, copy):
    path = copy / "unix_rubrique_mobilite_v460_utf8.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line + ',"x"' for line in lines) + "\n", encoding="utf-8")
    release = load_release(copy)
    assert release.status == ReleaseStatus.READY
    assert release.counts["mobilities"] == len(lines) - 1


def test_bad_rome_code_is_refused(full, copy):
    edit(copy / "unix_referentiel_code_rome_v460_utf8.csv", '"A1101","11"', '"Z1101","11"')
    assert_refused(copy, full, "code ROME « Z1101 » invalide (attendu : une lettre de A à N et 4 chiffres).")


def test_appellation_of_an_unknown_sheet_is_refused(full, copy):
    path = copy / "unix_referentiel_appellation_v460_utf8.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split('","')
    cells[3] = "N9998"
    lines[1] = '","'.join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    code = cells[0].strip('"')
    assert_refused(copy, full, f"ligne 2 : l'appellation {code} renvoie à une fiche inconnue « N9998 ».")


def test_savoir_with_the_code_of_a_competence_is_refused(full, copy):
    """Competences and savoirs share one code space: a savoir may not reuse a competence's code."""
    competences = (copy / "unix_referentiel_competence_v460_utf8.csv").read_text(encoding="utf-8").split("\n")
    taken = competences[1].split('","')[0].strip('"')
    path = copy / "unix_referentiel_savoir_v460_utf8.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split('","')
    cells[0] = '"' + taken
    lines[1] = '","'.join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert_refused(copy, full, f"ligne 2 : le savoir {taken} figure deux fois (ou porte le code d'un autre item).")


def test_mobility_to_an_unknown_sheet_is_refused(full, copy):
    path = copy / "unix_rubrique_mobilite_v460_utf8.csv"
    path.write_text(path.read_text(encoding="utf-8") + '"A1101","N9998","9"\n', encoding="utf-8")
    assert_refused(copy, full, "fiche inconnue N9998")


def test_non_utf8_file_is_refused(full, copy):
    path = copy / "unix_referentiel_savoir_v460_utf8.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    assert_refused(copy, full, "unix_referentiel_savoir_v460_utf8.csv n'est pas encodé en UTF-8")


def test_empty_file_is_refused(full, copy):
    (copy / "unix_coherence_item_v460_utf8.csv").write_bytes(b"")
    assert_refused(copy, full, "unix_coherence_item_v460_utf8.csv est vide.")


def test_mixed_version_suffixes_are_refused(full, copy):
    (copy / "unix_rubrique_mobilite_v460_utf8.csv").rename(copy / "unix_rubrique_mobilite_v461_utf8.csv")
    assert_refused(copy, full, "Les fichiers ne portent pas tous la même version")


def test_many_errors_are_capped(full, copy):
    path = copy / "unix_rubrique_mobilite_v460_utf8.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([lines[0], *('"X' + line[1:] for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    messages = assert_refused(copy, full, "fiche inconnue X")
    assert len(messages) == 21
    assert messages[-1] == f"… et {len(lines) - 1 - 20} autres erreurs."


def test_missing_directory_is_refused(full, tmp_path):
    assert_refused(tmp_path / "absent", full, "Dossier introuvable")


@pytest.mark.parametrize("error", [OSError, PermissionError, RuntimeError])
def test_an_unexpected_error_while_reading_fails_the_release(full, copy, monkeypatch, error):
    """A file that cannot be read (or a bug in the reader) must not leave the release « LOADING »."""

    def unreadable(path, required, problems):
        raise error("boom")

    monkeypatch.setattr(rome_import, "_read", unreadable)
    messages = assert_refused(copy, full, f"Lecture impossible : {error.__name__}")
    assert messages == [f"Lecture impossible : {error.__name__}"]
    assert not RomeRelease.objects.filter(status=ReleaseStatus.LOADING).exists()


def test_command_reports_an_unreadable_directory(full, copy, monkeypatch):
    def unreadable(path, required, problems):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(rome_import, "_read", unreadable)
    with pytest.raises(CommandError, match="Lecture impossible : PermissionError"):
        call_command("rome_import", str(copy), stdout=StringIO())
    assert current_release() == full


# --- the command --------------------------------------------------------------------------------------


def test_command_imports_and_switches(full):
    out = StringIO()
    call_command("rome_import", str(DEMO_DIR), stdout=out)
    output = out.getvalue()
    assert f"Fiches métiers : {demo_sheets()}" in output
    assert "Liens fiche–compétence :" in output
    assert "Mise en service : faite" in output
    assert REMINDER in output
    assert current_release().source.endswith("rome-demo")


def test_command_loads_without_switching_then_switches(full):
    out = StringIO()
    call_command("rome_import", str(DEMO_DIR), "--no-switch", stdout=out)
    release = RomeRelease.objects.get(status=ReleaseStatus.READY)
    assert f"--switch {release.pk}" in out.getvalue()
    # Loaded but not switched: the tensions still match the release in service.
    assert REMINDER not in out.getvalue()
    assert current_release() == full

    out = StringIO()
    call_command("rome_import", "--switch", str(release.pk), stdout=out)
    assert current_release() == release
    assert REMINDER in out.getvalue()


def test_command_refuses_a_bad_directory(full, tmp_path):
    with pytest.raises(CommandError, match="Dossier introuvable"):
        call_command("rome_import", str(tmp_path / "absent"), stdout=StringIO())
    assert current_release() == full
