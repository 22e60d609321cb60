from django.core.management.base import BaseCommand

from parcours.directory.duplicates import detect_duplicates
from parcours.directory.models import DuplicateCandidate, DuplicateStatus


class Command(BaseCommand):
    help = (
        "Repère les doublons possibles de l'offre (même SIRET et nom ou adresse proches, même nom de service "
        "dans la même structure) pour qu'un·e administrateur·rice en décide."
    )

    def handle(self, *args, **options):
        created = detect_duplicates()
        pending = DuplicateCandidate.objects.filter(status=DuplicateStatus.PENDING).count()
        self.stdout.write(
            self.style.SUCCESS(f"{created} nouveau(x) doublon(s) possible(s) ; {pending} en attente d'examen.")
        )
