"""Import INSEE's composition of the EPCI à fiscalité propre (which commune belongs to which EPCI)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.territories.importers import WrongFileKind, import_epci, parse_epci, read_lines

from .import_laposte import write_messages


class Command(BaseCommand):
    help = "Importe la composition communale des EPCI (fichier INSEE : colonnes CODGEO, EPCI, LIBEPCI)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Fichier CSV de l'INSEE (séparateur « , » ou « ; »).")

    def handle(self, *args, path: str, **options):
        try:
            memberships, errors = parse_epci(read_lines(Path(path)))
        except WrongFileKind as error:
            raise CommandError(str(error))
        report = import_epci(memberships)
        self.stdout.write(self.style.SUCCESS(f"{report.summary()}."))
        write_messages(self, report.communes.notes)
        if errors:
            self.stdout.write(f"{len(errors)} ligne(s) du fichier écartée(s) :")
            write_messages(self, errors)
