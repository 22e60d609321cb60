from django.core.management.base import BaseCommand, CommandError

from parcours.api.models import ApiToken
from parcours.api.services import revoke_token


class Command(BaseCommand):
    help = "Révoque un jeton d'API désigné par le début de sa clé (8 caractères, affichés à la création)."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="Les 8 premiers caractères du jeton.")

    def handle(self, *args, prefix: str, **options):
        tokens = list(ApiToken.objects.filter(prefix=prefix.strip()).select_related("organisation")[:2])
        if not tokens:
            raise CommandError(f"Aucun jeton ne commence par « {prefix} ».")
        if len(tokens) > 1:
            raise CommandError(f"Plusieurs jetons commencent par « {prefix} » : révoquez-les depuis l'administration.")
        token = tokens[0]
        if token.revoked_at is not None:
            self.stdout.write(f"Le jeton « {token.label} » était déjà révoqué le {token.revoked_at:%d/%m/%Y}.")
            return
        revoke_token(token=token, revoked_by=None)
        self.stdout.write(self.style.SUCCESS(f"Jeton « {token.label} » ({token.organisation.name}) révoqué."))
