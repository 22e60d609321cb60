from django.core.management.base import BaseCommand, CommandError

from parcours.matching.enums import ModelStatus
from parcours.matching.services_outcome import outcome_model_train_unattended
from parcours.programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Entraîne le modèle de réussite du programme (affectations) sur l'historique des sorties, "
        "ou sur celui de tous les programmes quand le sien est insuffisant."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="Code du programme (ex. hope).")

    def handle(self, *args, **options):
        code = (options["code"] or "").strip()
        programme = Programme.objects.filter(code=code).first()
        if programme is None:
            raise CommandError(f"Programme inconnu : « {code} ». Vérifiez le code du programme.")
        row = outcome_model_train_unattended(programme=programme)
        scope = "ce programme" if row.programme_id else "l'ensemble des programmes"
        if row.status == ModelStatus.INSUFFICIENT:
            self.stdout.write(self.style.WARNING(row.message))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Modèle entraîné sur {row.n_samples} sortie(s) de {scope} "
                f"({row.n_positive} positive(s)) : AUC {row.auc:.3f}, Brier {row.brier:.3f}."
            )
        )
        if row.message:
            self.stdout.write(row.message)
