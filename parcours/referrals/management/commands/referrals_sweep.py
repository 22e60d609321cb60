from django.core.management.base import BaseCommand

from parcours.referrals.services import sweep_deadlines


class Command(BaseCommand):
    help = "Fait expirer les prescriptions sans réponse dans le délai, envoie les relances et les escalades."

    def handle(self, *args, **options):
        counts = sweep_deadlines()
        self.stdout.write(
            f"Prescriptions expirées : {counts['expired']} ; "
            f"relances envoyées : {counts['reminded']} ; "
            f"escalades : {counts['escalated']}"
        )
