from django.core.management.base import BaseCommand, CommandError

from parcours.matching.services_placement import prices_refresh, programmes_to_price
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
            programmes = list(programmes_to_price())
        failed = []
        for programme in programmes:
            try:
                row = prices_refresh(programme=programme)
            except Exception as exc:  # noqa: BLE001 — one programme's failure does not stop the others
                failed.append(programme.code)
                self.stderr.write(f"{programme.code} : échec du calcul des prix ({exc}).")
                continue
            contested = sum(1 for value in row.prices.values() if value > 0)
            self.stdout.write(
                f"{programme.code} : {len(row.prices)} session(s), {contested} disputée(s) (prix > 0). {row.note}"
            )
        self.stdout.write(self.style.SUCCESS(f"Prix recalculés pour {len(programmes) - len(failed)} programme(s)."))
        if failed:
            raise CommandError(f"Prix non recalculés pour : {', '.join(failed)}.")
