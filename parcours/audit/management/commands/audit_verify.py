from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parcours.audit.chain import first_broken_link
from parcours.audit.models import AuditAnchor, AuditEntry
from parcours.audit.services import audit_links


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne de hachage du journal d'audit et les points d'ancrage ; signale le premier "
        "maillon rompu. Avec --anchor, enregistre un point d'ancrage de la fin de chaîne."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor", action="store_true", help="Après vérification, ancrer la fin de chaîne actuelle."
        )

    def handle(self, *args, anchor: bool = False, **options):
        total = AuditEntry.objects.count()
        broken_id, why = first_broken_link(audit_links())
        if broken_id is not None:
            raise CommandError(f"Chaîne rompue à l'entrée n° {broken_id} : {why}.")
        anchors = list(AuditAnchor.objects.all())
        hashes = dict(AuditEntry.objects.filter(id__in=[a.last_id for a in anchors]).values_list("id", "hash"))
        for a in anchors:
            if hashes.get(a.last_id) != a.last_hash:
                raise CommandError(
                    f"Ancrage du {timezone.localtime(a.at):%d/%m/%Y %H:%M} non retrouvé : l'entrée n° {a.last_id} "
                    "a été supprimée ou modifiée (fin de chaîne tronquée ?)."
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Journal d'audit intègre : {total} entrées vérifiées, {len(anchors)} ancrage(s) retrouvé(s)."
            )
        )
        if anchor:
            tail = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
            if tail is None:
                self.stdout.write("Journal vide : rien à ancrer.")
                return
            AuditAnchor.objects.create(at=timezone.now(), last_id=tail[0], last_hash=tail[1])
            self.stdout.write(f"Fin de chaîne ancrée : entrée n° {tail[0]}.")
