from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from parcours.demo.logins import demo_logins


class Command(BaseCommand):
    help = "Affiche les identifiants de la démo (rôle, organisation, ce qu'il faut essayer) et le mot de passe commun."

    def handle(self, *args, **options):
        table = demo_logins()
        if table is None:
            self.stderr.write(_("La démo n'est pas chargée dans cette base : lancez « manage.py demo_load »."))
            return
        self.stdout.write(table)
