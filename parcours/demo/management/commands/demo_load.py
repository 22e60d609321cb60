import argparse

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from parcours.demo.loader import BATCH_SIZE, DemoError, demo_load
from parcours.demo.models import DemoLoad


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("nombre entier attendu (reçu : %(v)s)") % {"v": value})


class Command(BaseCommand):
    help = (
        "Génère le territoire de démonstration de Loire-Atlantique : organisations, professionnel·les "
        "(identifiants de démo), personnes et historiques de parcours."
    )

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=_integer, default=300, help="Nombre de personnes (1 à 2 000 000).")
        parser.add_argument("--seed", type=_integer, default=44, help="Graine : même graine, mêmes personnes.")
        parser.add_argument("--reset", action="store_true", help="Efface la démo existante avant de recharger.")
        parser.add_argument(
            "--if-absent",
            action="store_true",
            help="Ne fait rien (sans erreur) si la démo est déjà chargée, pour les relances de « make demo ».",
        )
        parser.add_argument("--batch-size", type=_integer, default=BATCH_SIZE, help=argparse.SUPPRESS)
        parser.add_argument("--workers", type=_integer, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, persons, seed, reset, batch_size, workers=None, if_absent=False, verbosity=1, **options):
        if if_absent and not reset and DemoLoad.objects.exists():
            self.stdout.write(_("La démo est déjà chargée : rien à faire (--reset pour la recharger)."))
            return

        def progress(done: int, total: int, elapsed: float) -> None:
            if verbosity >= 1 and (done == total or total > batch_size):
                rate = done / elapsed if elapsed else 0
                self.stdout.write(
                    _("  %(done)s / %(total)s personnes (%(rate)s personnes/s)")
                    % {"done": f"{done:,}".replace(",", " "), "total": f"{total:,}".replace(",", " "),
                       "rate": f"{rate:,.0f}".replace(",", " ")}
                )  # fmt: skip

        try:
            load = demo_load(
                persons=persons,
                seed=seed,
                reset=reset,
                batch_size=max(1, batch_size),
                workers=workers,
                progress=progress,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        rate = load.persons / load.duration_s if load.duration_s else 0
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Démo chargée : %(n)s personnes en %(s)s s (%(rate)s personnes/s). "
                    "Identifiants : manage.py demo_logins"
                )
                % {"n": load.persons, "s": f"{load.duration_s:.1f}", "rate": f"{rate:.0f}"}
            )
        )
