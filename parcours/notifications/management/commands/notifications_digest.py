from django.core.management.base import BaseCommand

from parcours.notifications.services import send_digests


class Command(BaseCommand):
    help = "Envoie le récapitulatif quotidien aux utilisateurs qui l'ont choisi (à planifier une fois par jour)."

    def handle(self, *args, **options):
        mails = send_digests()
        self.stdout.write(f"{mails} récapitulatif(s) envoyé(s).")
