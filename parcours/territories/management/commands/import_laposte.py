"""Import La Poste's postcode file (base officielle des codes postaux) into the communes."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.territories.importers import WrongFileKind, import_communes, parse_laposte, read_lines

# Beyond this many messages the summary says how many more there are instead of listing them.
MAX_MESSAGES = 50


def write_messages(command: BaseCommand, messages: list[str]) -> None:
    for message in messages[:MAX_MESSAGES]:
        command.stdout.write(f"  - {message}")
    if len(messages) > MAX_MESSAGES:
        command.stdout.write(f"  … et {len(messages) - MAX_MESSAGES} autre(s).")


def departement_code(value: str) -> str:
    value = value.strip().upper()
    return value.zfill(2) if value.isdigit() and len(value) == 1 else value


class Command(BaseCommand):
    help = "Importe le fichier des codes postaux de La Poste (communes, codes postaux, coordonnées)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Fichier CSV de La Poste (séparateur « ; »).")
        parser.add_argument(
            "--departement",
            action="append",
            dest="departements",
            metavar="CODE",
            help="N'importer que ce département (option répétable), par exemple --departement 44.",
        )

    def handle(self, *args, path: str, departements: list[str] | None = None, **options):
        try:
            communes, errors = parse_laposte(read_lines(Path(path)))
        except WrongFileKind as error:
            raise CommandError(str(error))
        selected = {departement_code(code) for code in departements} if departements else None
        report = import_communes(communes, departements=selected)
        self.stdout.write(self.style.SUCCESS(f"Communes : {report.summary()}."))
        if errors:
            self.stdout.write(f"{len(errors)} ligne(s) du fichier écartée(s) ou corrigée(s) :")
            write_messages(self, errors)
        if report.rejected:
            self.stdout.write("Communes rejetées :")
            write_messages(self, report.rejected)
