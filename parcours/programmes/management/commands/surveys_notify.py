import datetime

from django.core.management.base import BaseCommand, CommandError

from parcours.programmes.services_surveys import surveys_notify_due


class Command(BaseCommand):
    help = "Prévient les référent·es des enquêtes de suivi (6 et 12 mois après la sortie d'un programme) à réaliser."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Date du jour à retenir (AAAA-MM-JJ), aujourd'hui par défaut.")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("Date invalide : utilisez le format AAAA-MM-JJ.") from exc
        n = surveys_notify_due(today=today)
        self.stdout.write(self.style.SUCCESS(f"{n} enquête(s) de suivi signalée(s) aux référent·es."))
