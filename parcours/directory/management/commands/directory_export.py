import re
import sys

from django.core.management.base import BaseCommand, CommandError

from parcours.directory import exporting

DEPARTEMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-8]|98[4-9])$")


class Command(BaseCommand):
    help = "Exporte l'offre au format data·inclusion v1 (JSON ou CSV) : les services publiés, ou les structures."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=("services", "structures"), default="services")
        parser.add_argument("--format", choices=("json", "csv"), default="json", dest="file_format")
        parser.add_argument("--departement", help="Code du département (44, 2A, 974…).")
        parser.add_argument("--output", help="Fichier à écrire (sortie standard sinon).")
        parser.add_argument(
            "--include-unpublished", action="store_true", help="Inclure les brouillons et services archivés."
        )

    def handle(self, *args, kind, file_format, departement=None, output=None, include_unpublished=False, **options):
        if departement is not None:
            departement = departement.strip().upper()
            if not DEPARTEMENT.match(departement):
                raise CommandError(f"Code de département invalide : « {departement} » (exemples : 44, 2A, 974).")
        rows = exporting.export_records(kind=kind, departement=departement, include_unpublished=include_unpublished)
        counted = _Counter(rows)
        pieces = exporting.iter_json(counted) if file_format == "json" else exporting.iter_csv(counted, kind)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as file:
                for piece in pieces:
                    file.write(piece)
            self.stderr.write(f"{counted.count} {kind} exporté(s) dans {output}.")
        else:
            out = self.stdout if self.stdout is not None else sys.stdout
            for piece in pieces:
                out.write(piece, ending="")


class _Counter:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
