import io
import json

import pytest
from django.core.management import CommandError, call_command

from parcours.directory import importing
from parcours.directory.models import ImportRejection, ImportRun, ImportStatus, Service, ServiceStatus, Structure
from tests.factories import CommuneFactory, DepartementFactory, OrganisationFactory, UserFactory

VALID_SIRET = "73282932000074"


@pytest.fixture
def territory(db):
    """Loire-Atlantique with two communes (so 44 is a "loaded" département), and Maine-et-Loire."""
    loire_atlantique = DepartementFactory(code="44", name="Loire-Atlantique")
    DepartementFactory(code="49", name="Maine-et-Loire")
    CommuneFactory(insee_code="44109", name="Nantes", departement=loire_atlantique)
    CommuneFactory(
        insee_code="44143",
        name="Rezé",
        departement=loire_atlantique,
        postcodes=["44400"],
        latitude=47.18,
        longitude=-1.55,
    )


def structure(n=1, **overrides):
    record = {
        "source": "dora",
        "id": f"s{n}",
        "nom": f"Association {n}",
        "date_maj": "2025-01-15",
        "siret": VALID_SIRET,
        "commune": "Nantes",
        "code_postal": "44000",
        "code_insee": "44109",
        "adresse": "1 rue de la Paix",
        "latitude": 47.2316,
        "longitude": -1.5483,
        "courriel": "contact@asso.fr",
        "reseaux_porteurs": None,
    }
    record.update(overrides)
    return record


def service(n=1, structure_id="s1", **overrides):
    record = {
        "source": "dora",
        "structure_id": structure_id,
        "id": f"v{n}",
        "nom": f"Cours de français {n}",
        "description": "Des ateliers de français à l'oral et à l'écrit pour la vie quotidienne et l'emploi.",
        "date_maj": "2025-01-15",
        "type": "formation",
        "thematiques": ["lecture-ecriture-calcul--maitriser-le-francais"],
        "frais": "gratuit",
        "publics": ["personnes-exilees"],
        "code_insee": "44109",
        "commune": "Nantes",
        "modes_accueil": ["en-presentiel"],
        "zone_eligibilite": ["44"],
        "nombre_semaines": 12,
        "volume_horaire_hebdomadaire": 6.0,
    }
    record.update(overrides)
    return record


def as_json(records) -> bytes:
    return json.dumps(records).encode()


def import_file(content: bytes, filename="offre.json", *, source="", chunk_size=500, kind=None) -> ImportRun:
    parsed = importing.parse_upload(content, filename, kind=kind)
    run = importing.create_run(parsed=parsed, source=source)
    return importing.run_to_completion(run, chunk_size=chunk_size)


def reasons(run) -> dict[int, list[str]]:
    return {r.row_number: r.reasons for r in run.rejections.all()}


# --- formats ----------------------------------------------------------------------------------------


def test_json_list_of_structures_is_imported(territory):
    run = import_file(as_json([structure(1), structure(2)]))
    assert (run.status, run.kind, run.file_format) == (ImportStatus.DONE, "structures", "json")
    assert (run.created_count, run.rejected_count) == (2, 0)
    assert set(Structure.objects.values_list("source", "source_id")) == {("dora", "s1"), ("dora", "s2")}


def test_api_paginated_envelope_is_read(territory):
    envelope = {"items": [structure(1)], "total": 1, "page": 1, "size": 100, "pages": 1}
    parsed = importing.parse_upload(as_json(envelope), "page1.json")
    assert (parsed.kind, len(parsed.rows)) == ("structures", 1)


def test_csv_with_semicolons_lists_and_numbers_is_imported(territory):
    import_file(as_json([structure(1)]))
    content = (
        "source;structure_id;id;nom;description;date_maj;thematiques;publics;zone_eligibilite;code_insee;"
        "nombre_semaines;volume_horaire_hebdomadaire;latitude;longitude;frais\n"
        "dora;s1;v1;Français;\"Des ateliers de français, à l'oral; et à l'écrit.\";2025-01-15;"
        "lecture-ecriture-calcul--maitriser-le-francais,numerique--acquerir-un-equipement;"
        '["personnes-exilees"];44;44109;12;6,5;;;\n'
    ).encode()
    run = import_file(content, "services.csv")
    assert (run.kind, run.file_format, run.created_count, run.rejected_count) == ("services", "csv", 1, 0)
    imported = Service.objects.get(source_id="v1")
    assert imported.thematiques == [
        "lecture-ecriture-calcul--maitriser-le-francais",
        "numerique--acquerir-un-equipement",
    ]
    assert imported.publics == ["personnes-exilees"]
    assert (imported.nombre_semaines, imported.volume_horaire_hebdomadaire) == (12, 6.5)
    assert imported.latitude is None and imported.frais == ""
    assert imported.description == "Des ateliers de français, à l'oral; et à l'écrit."
    # No own coordinates: the service is placed at its structure.
    assert (imported.point_latitude, imported.point_longitude) == (47.2316, -1.5483)


def test_csv_rejection_gives_the_file_line(territory):
    content = b"source,id,nom,date_maj\ndora,s1,Asso,2025-01-15\ndora,s2,Asso 2,pas-une-date\n"
    run = import_file(content, "structures.csv")
    assert run.created_count == 1
    assert list(reasons(run)) == [3]
    assert "date_maj : date invalide" in reasons(run)[3][0]


def test_default_source_fills_records_without_one(territory):
    record = structure(1)
    del record["source"]
    run = import_file(as_json([record]), source="mon-territoire")
    assert run.created_count == 1
    assert Structure.objects.get().source == "mon-territoire"


# --- bad files: a French message, nothing written ---------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "vide.json", "Le fichier est vide."),
        (b'[{"id": "s1", "nom": "A",}', "casse.json", "JSON mal formé à la ligne 1, colonne 26"),
        (b'[\n  {"id": "s1"\n  "nom": "A"}\n]', "casse.json", "JSON mal formé à la ligne 3, colonne 3"),
        (b'{"id": "s1"}', "objet.json", "une liste d'enregistrements ou la réponse paginée"),
        (b'"texte"', "texte.json", "une liste d'enregistrements"),
        (b"[]", "rien.json", "aucun enregistrement"),
        (b"nom;commune\nAsso;Nantes\n", "sans-id.csv", "« id » et « nom »"),
        (b'id,nom\ns1,"Asso\n', "guillemets.csv", "CSV mal formé"),
        (b"%PDF-1.7\n...", "offre.pdf", "Ce fichier est un document PDF"),
        (b"\x89PNG\r\n\x1a\n....", "offre.png", "une image PNG"),
        ("id;nom\ns1;Association éé\n".encode("latin-1"), "latin1.csv", "n'est pas encodé en UTF-8"),
        (b'[{"foo": 1}]', "autre.json", "ne ressemble pas à un export data·inclusion"),
    ],
)
def test_unusable_file_is_refused_with_a_french_message(db, content, filename, message):
    with pytest.raises(importing.ImportFileError, match=message):
        importing.parse_upload(content, filename)
    assert not ImportRun.objects.exists()


def test_too_large_file_is_refused(db, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 100
    with pytest.raises(importing.ImportFileError, match="trop volumineux"):
        importing.parse_upload(as_json([structure(1), structure(2)]), "offre.json")


def test_mixed_kinds_are_refused(db):
    with pytest.raises(importing.ImportFileError, match="mélange des structures et des services"):
        importing.parse_upload(as_json([structure(1), service(1)]), "offre.json")


def test_services_given_as_structures_are_refused(db):
    with pytest.raises(importing.ImportFileError, match="contient des services"):
        importing.parse_upload(as_json([service(1)]), "offre.json", kind="structures")


# --- bad rows: valid ones kept, invalid ones listed with their reasons -------------------------------


def test_invalid_rows_are_listed_and_valid_rows_kept(territory):
    run = import_file(
        as_json(
            [
                structure(1),
                structure(2, siret="73282932000075"),
                structure(3, code_insee="4410"),
                structure(4, code_insee="44999"),
                structure(5, latitude=40.7, longitude=-74.0),
                structure(1, nom="Encore s1"),
                structure(7, reseaux_porteurs=["pas-un-reseau"]),
                structure(8, latitude=47.2, longitude=None),
            ]
        )
    )
    assert (run.created_count, run.rejected_count, run.status) == (1, 7, ImportStatus.DONE)
    assert Structure.objects.get().nom == "Association 1"
    got = reasons(run)
    assert "siret : numéro SIRET invalide (clé de contrôle)" in got[2][0]
    assert got[3] == ["code_insee : texte trop court"]
    assert got[4] == ["code_insee : commune inconnue du Code officiel géographique : « 44999 »"]
    assert got[5] == ["latitude, longitude : coordonnées hors de France (40.7, -74.0)"]
    assert got[6] == ["id : identifiant en double dans le fichier (déjà vu ligne 1)"]
    assert got[7][0].startswith("reseaux_porteurs : valeur inconnue du vocabulaire data·inclusion")
    assert got[8] == ["latitude, longitude : les deux coordonnées vont ensemble"]
    assert ImportRejection.objects.get(run=run, row_number=6).record_id == "s1"


def test_unknown_vocabulary_value_and_zone_code_are_rejected(territory):
    import_file(as_json([structure(1)]))
    run = import_file(
        as_json(
            [
                service(1),
                service(2, thematiques=["cuisine--gastronomie"]),
                service(3, zone_eligibilite=["4"]),
                service(4, zone_eligibilite=["77"]),
            ]
        )
    )
    assert (run.created_count, run.rejected_count) == (1, 3)
    got = reasons(run)
    assert "thematiques : valeur inconnue du vocabulaire data·inclusion : « cuisine--gastronomie »" in got[2]
    assert got[4] == ["zone_eligibilite : département inconnu : « 77 »"]


def test_service_of_an_unknown_structure_is_rejected(territory):
    run = import_file(as_json([service(1, structure_id="absente")]))
    assert run.rejected_count == 1
    assert reasons(run)[1] == [
        "structure_id : aucune structure « absente » dans la source « dora » (importez d'abord ses structures)"
    ]
    assert not Service.objects.exists()


def test_value_too_long_for_the_database_is_a_row_rejection(territory):
    run = import_file(as_json([structure(1), structure(2, telephone="0" * 51)]))
    assert (run.created_count, run.rejected_count) == (1, 1)
    assert reasons(run)[2] == ["telephone : texte trop long (50 caractères au plus)"]


# --- idempotence, Parcours fields, structure moves ---------------------------------------------------


def test_rerun_creates_nothing_twice(territory):
    import_file(as_json([structure(1)]))
    content = as_json([service(1), service(2)])
    first = import_file(content)
    second = import_file(content)
    assert (first.created_count, first.updated_count, first.unchanged_count) == (2, 0, 0)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert Service.objects.count() == 2


def test_reimport_updates_v1_fields_and_keeps_parcours_fields(territory):
    import_file(as_json([structure(1)]))
    import_file(as_json([service(1)]))
    operator = OrganisationFactory()
    Service.objects.update(
        status=ServiceStatus.ARCHIVED,
        operator=operator,
        places_total=10,
        places_free=2,
        languages=["ar"],
        interpreting=True,
    )
    run = import_file(as_json([service(1, nom="Nouveau nom")]))
    assert (run.created_count, run.updated_count) == (0, 1)
    updated = Service.objects.get()
    assert updated.nom == "Nouveau nom"
    assert (updated.status, updated.operator, updated.places_total, updated.places_free) == (
        ServiceStatus.ARCHIVED,
        operator,
        10,
        2,
    )
    assert (updated.languages, updated.interpreting) == (["ar"], True)
    assert " la:ar " in updated.facets


def test_new_imported_services_are_published(territory):
    import_file(as_json([structure(1)]))
    import_file(as_json([service(1)]))
    assert Service.objects.get().status == ServiceStatus.PUBLISHED


def test_structure_that_moves_takes_its_services_along(territory):
    import_file(as_json([structure(1)]))
    import_file(as_json([service(1), service(2, latitude=47.3, longitude=-1.6)]))
    import_file(as_json([structure(1, code_insee="44143", latitude=47.18, longitude=-1.55)]))
    placed = dict(Service.objects.values_list("source_id", "point_latitude"))
    assert placed == {"v1": 47.18, "v2": 47.3}


# --- chunks, crash and resume ------------------------------------------------------------------------


def test_run_resumes_where_it_stopped(territory):
    parsed = importing.parse_upload(as_json([structure(n) for n in range(1, 6)]), "offre.json")
    run = importing.create_run(parsed=parsed)
    run = importing.process_next_chunk(run.pk, chunk_size=2)
    assert (run.status, run.processed_rows, Structure.objects.count()) == (ImportStatus.RUNNING, 2, 2)
    # Another process (the page, `--resume`) picks it up later.
    run = importing.run_to_completion(ImportRun.objects.get(pk=run.pk), chunk_size=2)
    assert (run.status, run.processed_rows, run.created_count, Structure.objects.count()) == (
        ImportStatus.DONE,
        5,
        5,
        5,
    )
    assert run.finished_at is not None


def test_crash_mid_chunk_writes_nothing_of_the_chunk_and_a_retry_finishes(territory, monkeypatch):
    parsed = importing.parse_upload(as_json([structure(n) for n in range(1, 5)] + [structure(9, siret="1")]), "o.json")
    run = importing.create_run(parsed=parsed)
    importing.process_next_chunk(run.pk, chunk_size=2)
    real = importing._upsert_structures

    def crash(valid, outcome):
        real(valid, outcome)  # rows written within the chunk's transaction…
        raise RuntimeError("panne de courant")  # …then the process dies before the chunk ends

    monkeypatch.setattr(importing, "_upsert_structures", crash)
    with pytest.raises(RuntimeError):
        importing.process_next_chunk(run.pk, chunk_size=2)
    run.refresh_from_db()
    assert (run.processed_rows, run.created_count, run.status) == (2, 2, ImportStatus.FAILED)
    assert "panne de courant" in run.error
    assert Structure.objects.count() == 2
    monkeypatch.setattr(importing, "_upsert_structures", real)
    run = importing.run_to_completion(run, chunk_size=2)
    assert (run.status, run.processed_rows, run.created_count, run.rejected_count, run.error) == (
        ImportStatus.DONE,
        5,
        4,
        1,
        "",
    )
    assert Structure.objects.count() == 4
    assert list(run.rejections.values_list("row_number", flat=True)) == [5]


def test_import_records_for_the_demo_and_the_benchmark(territory):
    user = UserFactory(is_superuser=True)
    run = importing.import_records([structure(n) for n in range(1, 4)], kind="structures", source="dora", user=user)
    assert (run.status, run.created_count, run.started_by) == (ImportStatus.DONE, 3, user)


def test_finished_run_writes_one_audit_entry(territory):
    from parcours.audit.models import AuditEntry

    run = import_file(as_json([structure(n) for n in range(1, 6)]), chunk_size=2)
    entries = AuditEntry.objects.filter(object_type="directory.importrun", object_id=str(run.pk))
    assert entries.count() == 1
    assert "5 créé(s)" in entries.get().reason


# --- the command ------------------------------------------------------------------------------------


def test_command_imports_a_file_and_reports(territory, tmp_path):
    path = tmp_path / "structures.json"
    path.write_bytes(as_json([structure(n) for n in range(1, 4)] + [structure(4, siret="123")]))
    out = io.StringIO()
    call_command("directory_import", str(path), "--chunk-size", "2", stdout=out)
    text = out.getvalue()
    assert "[##########----------] 50 % 2/4" in text
    assert "[####################] 100 % 4/4" in text
    assert (
        "4 ligne(s) traitée(s) sur 4 (structures) : 3 créée(s), 0 mise(s) à jour, 0 inchangée(s), 1 rejetée(s)." in text
    )
    assert "- ligne 4 (id « s4 ») : siret : texte trop court" in text


def test_command_resumes_an_interrupted_run(territory):
    parsed = importing.parse_upload(as_json([structure(n) for n in range(1, 4)]), "offre.json")
    run = importing.create_run(parsed=parsed)
    importing.process_next_chunk(run.pk, chunk_size=1)
    out = io.StringIO()
    call_command("directory_import", "--resume", str(run.pk), stdout=out)
    assert f"Reprise de l'import n° {run.pk} à la ligne 2." in out.getvalue()
    assert "2 créée(s)" not in out.getvalue()  # counters are the run's, not the resumed part's
    run.refresh_from_db()
    assert (run.status, run.created_count) == (ImportStatus.DONE, 3)


def test_command_refuses_a_bad_file_in_french(db, tmp_path):
    path = tmp_path / "offre.json"
    path.write_bytes(b"[{")
    with pytest.raises(CommandError, match="JSON mal formé"):
        call_command("directory_import", str(path), stdout=io.StringIO())
    assert not ImportRun.objects.exists()


# --- review: real-world variants of bad input --------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b'{"items": {"id": "s1", "nom": "A"}}', "enveloppe.json", "une liste d'enregistrements ou la réponse paginée"),
        (b'{"data": [{"id": "s1", "nom": "A"}]}', "autre.json", "une liste d'enregistrements ou la réponse paginée"),
        (b"42", "nombre.json", "une liste d'enregistrements"),
        (b'[{"id": "s1", "nom": "A"}, null]', "ligne.json", "L'enregistrement n° 2 n'est pas un objet JSON"),
        (b'[{"id": "s1", "nom": "A"}, ["s2", "B"]]', "ligne.json", "L'enregistrement n° 2 n'est pas un objet JSON"),
        (b'[{"id": "s1", "nom": "A", "latitude": NaN}]', "nan.json", "« NaN » n'est pas une valeur JSON"),
        (b'[{"id": "s1", "nom": "A", "latitude": -Infinity}]', "inf.json", "« -Infinity » n'est pas une valeur JSON"),
        (b'[{"id": "s1", "nom": "A", "latitude": 1e400}]', "grand.json", "nombre trop grand : « 1e400 »"),
        (
            "id;nom\ns1;Association\ns2;Café\n".encode("cp1252"),
            "excel.csv",
            r"n'est pas encodé en UTF-8 \(caractère invalide à la ligne 3\)",
        ),
        (
            b"id,nom\ns1," + b"x" * 200_000 + b"\n",
            "enorme.csv",
            "CSV mal formé à la ligne 2 : une valeur dépasse la taille maximale d'une cellule",
        ),
    ],
    ids=[
        "items-objet",
        "objet-sans-items",
        "nombre",
        "ligne-null",
        "ligne-liste",
        "nan",
        "infini",
        "1e400",
        "cp1252",
        "cellule-enorme",
    ],
)
def test_real_world_unusable_files_are_refused_in_french(db, content, filename, message):
    with pytest.raises(importing.ImportFileError, match=message):
        importing.parse_upload(content, filename)
    assert not ImportRun.objects.exists()


def test_csv_with_a_byte_order_mark_is_read(territory):
    content = "\ufeffsource,id,nom,date_maj\ndora,s1,Association,2025-01-15\n".encode()
    run = import_file(content, "excel.csv")
    assert (run.file_format, run.created_count, run.rejected_count) == ("csv", 1, 0)
    assert Structure.objects.get().source_id == "s1"


def test_nul_character_in_a_value_is_a_row_rejection_and_valid_rows_are_kept(territory):
    # PostgreSQL refuses U+0000 in text and jsonb: the whole upload used to fail with a database error.
    run = import_file(as_json([structure(1, nom="Asso\x00ciation"), structure(2)]))
    assert (run.status, run.created_count, run.rejected_count) == (ImportStatus.DONE, 1, 1)
    assert reasons(run)[1] == ["nom : caractère interdit (caractère nul ou caractère Unicode isolé)"]
    assert ImportRejection.objects.get(run=run).record_id == "s1"
    # In a CSV, past the first bytes that are sniffed for a binary file.
    content = b"source,id,nom,date_maj\n" + b"".join(
        f"dora,c{n},Association {n},2025-01-15\n".encode() for n in range(300)
    )
    content += b"dora,nul,Asso\x00ciation,2025-01-15\n"
    run = import_file(content, "structures.csv")
    assert (run.created_count, run.rejected_count) == (300, 1)
    assert reasons(run)[302] == ["nom : caractère interdit (caractère nul ou caractère Unicode isolé)"]


def test_lone_surrogate_in_json_is_a_row_rejection(territory):
    content = as_json([structure(1)])[:-2] + b', "adresse": "rue \\ud800"}]'
    run = import_file(content)
    assert (run.created_count, run.rejected_count) == (0, 1)
    assert reasons(run)[1] == ["adresse : caractère interdit (caractère nul ou caractère Unicode isolé)"]
    # A real pair (an emoji written as two escapes) is fine.
    run = import_file(as_json([structure(2, nom="Association \U0001f600")]))
    assert (run.created_count, run.rejected_count) == (1, 0)


def test_row_variants_are_rejected_with_a_reason_or_read(territory):
    import_file(as_json([structure(1)]))
    run = import_file(
        as_json(
            [
                service(1, zone_eligibilite="44"),
                service(2, latitude=47.2),
                service(3, longitude=-1.5),
                service(4, thematiques=None, publics=None, modes_accueil=None, zone_eligibilite=None),
                service(5, volume_horaire_hebdomadaire="6.5", latitude="47.2", longitude="-1.55"),
                service(6, nombre_semaines="douze"),
                service(7, code_insee="ABCDE"),
                service(8, latitude=48.85, longitude=500.0),
                service(9, nombre_semaines=10**12),
            ]
        )
    )
    got = reasons(run)
    assert got[1] == ["zone_eligibilite : liste attendue"]
    assert got[2] == got[3] == ["latitude, longitude : les deux coordonnées vont ensemble"]
    assert got[6] == ["nombre_semaines : nombre entier attendu"]
    assert got[7] == ["code_insee : code commune INSEE invalide : « ABCDE »"]
    assert got[8] == ["latitude, longitude : coordonnées hors de France (48.85, 500.0)"]
    assert got[9] == ["nombre_semaines : valeur trop grande"]
    assert (run.created_count, run.rejected_count) == (2, 7)
    with_nulls = Service.objects.get(source_id="v4")
    assert (with_nulls.thematiques, with_nulls.zone_eligibilite) == ([], [])
    numbers_as_text = Service.objects.get(source_id="v5")
    assert (numbers_as_text.volume_horaire_hebdomadaire, numbers_as_text.latitude) == (6.5, 47.2)


def test_services_whose_structures_belong_to_another_source_are_rejected_naming_the_source(territory):
    import_file(as_json([structure(1)]))  # source dora
    run = import_file(as_json([service(1, source="soliguide"), service(2)]))
    assert (run.created_count, run.rejected_count) == (1, 1)
    assert reasons(run)[1] == [
        "structure_id : aucune structure « s1 » dans la source « soliguide » (importez d'abord ses structures)"
    ]
    assert Service.objects.get().source == "dora"


def test_rerun_of_a_csv_creates_nothing_and_changes_nothing(territory):
    content = b'source,id,nom,date_maj,reseaux_porteurs\ndora,s1,Association,2025-01-15,"france-travail"\n'
    first = import_file(content, "structures.csv")
    before = list(Structure.objects.values())
    second = import_file(content, "structures.csv")
    assert (first.created_count, second.created_count, second.updated_count, second.unchanged_count) == (1, 0, 0, 1)
    assert list(Structure.objects.values()) == before


def test_command_refuses_a_default_source_with_a_nul_character(territory, tmp_path):
    path = tmp_path / "structures.json"
    path.write_bytes(as_json([structure(1)]))
    with pytest.raises(CommandError, match="--source"):
        call_command("directory_import", str(path), "--source", "a\x00b", stdout=io.StringIO())
    assert not ImportRun.objects.exists()
