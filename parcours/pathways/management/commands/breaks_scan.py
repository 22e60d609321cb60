from django.core.management.base import BaseCommand

from parcours.pathways.breaks import scan_breaks
from parcours.pathways.enums import BreakKind


class Command(BaseCommand):
    help = "Détecte les ruptures de parcours : ouvre les alertes nouvelles, lève celles dont la cause a disparu."

    def handle(self, *args, **options):
        result = scan_breaks()
        for kind, label in BreakKind.choices:
            counts = result["by_kind"][kind]
            self.stdout.write(
                f"{label} : {counts['opened']} ouverte(s), {counts['closed']} levée(s), {counts['open']} en cours"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['opened']} alerte(s) ouverte(s), {result['closed']} levée(s), {result['open']} en cours."
            )
        )
