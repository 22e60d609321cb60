from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.occupations.tension_import import TensionFileError, import_tension_file


class Command(BaseCommand):
    help = (
        "Importe un fichier de tensions de recrutement (fap_code, fap, tension_pct, rome_code, rome_label, "
        "et departement pour des chiffres par département) : les codes ROME v3 sont rapprochés des fiches "
        "ROME 4.0 en service (même code, puis fiches filles), les codes non rapprochés sont listés. "
        "L'import remplace l'import en cours en une seule transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Fichier CSV (UTF-8, séparateur virgule).")

    def handle(self, *args, path, **options):
        try:
            result = import_tension_file(Path(path))
        except TensionFileError as exc:
            raise CommandError("Fichier refusé, rien n'a été importé :\n" + "\n".join(exc.messages)) from None
        counts = result.counts
        scope = (
            f"par département ({len(counts['territories'])} départements)"
            if counts["scope"] == "departement"
            else "nationales"
        )
        self.stdout.write(f"Import des tensions n° {result.pk} ({scope}) depuis {Path(path).name}.")
        self.stdout.write(f"Lignes lues : {result.rows}")
        self.stdout.write(f"Codes ROME rapprochés : {counts['matched_codes']}")
        self.stdout.write(
            f"Fiches couvertes : {counts['sheets']} (directement : {counts['direct']}, "
            f"par la fiche parente : {counts['via_parent']})"
        )
        self.stdout.write(f"Codes non rapprochés : {counts['unmatched_codes']}")
        for entry in result.unmatched:
            faps = ", ".join(fap["code"] for fap in entry["fap"])
            self.stdout.write(f"  - {entry['code']} {entry['label']} (FAP {faps})")
