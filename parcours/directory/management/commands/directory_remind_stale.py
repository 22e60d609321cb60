from django.conf import settings
from django.core.management.base import BaseCommand

from parcours.directory.services import remind_stale_services


class Command(BaseCommand):
    help = (
        "Relance par courriel les organisations dont des services publiés n'ont pas été mis à jour depuis "
        "plus de six mois (au plus une relance tous les 30 jours)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Afficher les relances sans rien envoyer.")
        parser.add_argument(
            "--base-url",
            default=getattr(settings, "SITE_URL", "http://localhost:8000"),
            help="Adresse du site, pour les liens des courriels (par défaut : %(default)s).",
        )

    def handle(self, *args, dry_run: bool = False, base_url: str = "", **options):
        reminders = remind_stale_services(base_url=base_url, dry_run=dry_run)
        for reminder in reminders:
            recipients = ", ".join(reminder.recipients) or "aucune adresse : relance impossible"
            self.stdout.write(f"- {reminder.organisation.name} : {len(reminder.services)} service(s) → {recipients}")
        services = sum(len(r.services) for r in reminders if r.recipients)
        sent = sum(1 for r in reminders if r.recipients)
        unreachable = sum(1 for r in reminders if not r.recipients)
        if dry_run:
            self.stdout.write(
                f"Simulation : {sent} courriel(s) seraient envoyés pour {services} service(s) à mettre à jour ; "
                "rien n'a été envoyé ni modifié."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{sent} courriel(s) envoyé(s) pour {services} service(s) à mettre à jour.")
            )
        if unreachable:
            self.stdout.write(
                self.style.WARNING(
                    f"{unreachable} organisation(s) sans adresse électronique : aucune relance possible."
                )
            )
