from django.conf import settings
from django.core.management.base import BaseCommand

from parcours.notifications.services import purge_sent


class Command(BaseCommand):
    help = "Supprime les notifications envoyées depuis plus que la durée de conservation (à planifier chaque jour)."

    def handle(self, *args, **options):
        deleted = purge_sent()
        self.stdout.write(
            f"{deleted} notification(s) supprimée(s) (conservation : {settings.NOTIFICATION_RETENTION_DAYS} jours)."
        )
