from django.core.management.base import BaseCommand, CommandError

from parcours.audit.chain import first_broken_link
from parcours.audit.models import AuditEntry
from parcours.audit.services import audit_links


class Command(BaseCommand):
    help = "Vérifie la chaîne de hachage du journal d'audit et signale le premier maillon rompu."

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        broken_id, why = first_broken_link(audit_links())
        if broken_id is not None:
            raise CommandError(f"Chaîne rompue à l'entrée n° {broken_id} : {why}.")
        self.stdout.write(self.style.SUCCESS(f"Journal d'audit intègre : {total} entrées vérifiées."))
