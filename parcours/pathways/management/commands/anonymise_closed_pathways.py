from django.conf import settings
from django.core.management.base import BaseCommand

from parcours.pathways.retention import people_due_for_anonymisation, person_anonymise


class Command(BaseCommand):
    help = "Anonymise les personnes dont tous les parcours sont clos depuis plus que la durée de conservation."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Compter sans rien modifier.")

    def handle(self, *args, dry_run: bool = False, **options):
        due = people_due_for_anonymisation()
        if dry_run:
            self.stdout.write(
                f"{due.count()} personne(s) à anonymiser (conservation : {settings.PATHWAY_RETENTION_DAYS} jours)."
            )
            return
        done = 0
        for person in due.iterator(chunk_size=500):
            person_anonymise(person=person)
            done += 1
        self.stdout.write(self.style.SUCCESS(f"{done} personne(s) anonymisée(s)."))
