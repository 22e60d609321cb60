from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parcours.api.services import create_token
from parcours.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Crée un jeton d'API pour une organisation partenaire et l'affiche une seule fois "
        "(seule son empreinte est conservée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, type=int, help="Identifiant (pk) de l'organisation.")
        parser.add_argument("--label", required=True, help="Libellé du jeton (à quoi ou à qui il sert).")

    def handle(self, *args, organisation: int, label: str, **options):
        org = Organisation.objects.filter(pk=organisation).first()
        if org is None:
            raise CommandError(f"Organisation inconnue : {organisation}.")
        try:
            token, key = create_token(organisation=org, label=label, created_by=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Jeton « {token.label} » créé pour {org.name} (début : {token.prefix}).")
        self.stdout.write("Copiez-le maintenant, il ne sera plus jamais affiché :")
        self.stdout.write(key)
        self.stdout.write("En-tête à envoyer : Authorization: Bearer <jeton>")
