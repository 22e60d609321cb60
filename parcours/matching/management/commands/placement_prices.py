from django.core.management.base import BaseCommand, CommandError

from parcours.matching.services_placement import prices_refresh
from parcours.programmes.enums import SessionStatus
from parcours.programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Recalcule les prix des sessions pour l'affectation au fil de l'eau (prix duaux sur les arrivées "
        "attendues) : d'un programme, ou de tous les programmes actifs ayant une session ouverte."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", default="", help="Code du programme (ex. hope) ; tous par défaut.")

    def handle(self, *args, **options):
        code = (options["code"] or "").strip()
        if code:
            programme = Programme.objects.filter(code=code).first()
            if programme is None:
                raise CommandError(f"Programme inconnu : « {code} ». Vérifiez le code du programme.")
            programmes = [programme]
        else:
            programmes = list(
                Programme.objects.filter(is_active=True, sessions__status=SessionStatus.OPEN)
                .distinct()
                .order_by("code")
            )
        for programme in programmes:
            row = prices_refresh(programme=programme)
            contested = sum(1 for value in row.prices.values() if value > 0)
            self.stdout.write(
                f"{programme.code} : {len(row.prices)} session(s), {contested} disputée(s) (prix > 0). {row.note}"
            )
        self.stdout.write(self.style.SUCCESS(f"Prix recalculés pour {len(programmes)} programme(s)."))
