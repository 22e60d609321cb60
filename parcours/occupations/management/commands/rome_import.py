from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.occupations.models import RomeRelease
from parcours.occupations.rome_import import ReleaseError, load_release, switch_release

# The tensions are mapped onto the sheets of the release in service when they are imported (a
# ROME v3 code reaches the 4.0 sheets under it): after a switch they must be imported again.
TENSION_REMINDER = (
    "Relancez manage.py tension_import <fichier> : les tensions sont rapprochées des fiches de la version en service."
)


class Command(BaseCommand):
    help = (
        "Importe une version du ROME 4.0 publiée par France Travail (dossier des fichiers "
        "« unix_*_v<NNN>_utf8.csv » de l'archive « fichiers CSV », décompressée). Tous les fichiers sont "
        "contrôlés avant toute écriture ; la version est chargée à côté de celle en service puis mise en "
        "service en une seule transaction. --no-switch charge sans mettre en service ; --switch <n°> met en "
        "service une version déjà chargée (ou revient à la précédente)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="Dossier contenant les fichiers CSV de la version.")
        parser.add_argument(
            "--no-switch", action="store_true", help="Charger et contrôler la version sans la mettre en service."
        )
        parser.add_argument(
            "--switch",
            type=int,
            metavar="NUMERO",
            help="Mettre en service une version déjà chargée (numéro de la version), sans lire de fichiers.",
        )

    def handle(self, *args, directory=None, no_switch=False, switch=None, **options):
        if switch is not None:
            if directory:
                raise CommandError("Donnez soit un dossier à importer, soit --switch <numéro>, pas les deux.")
            release = RomeRelease.objects.filter(pk=switch).first()
            if release is None:
                raise CommandError(f"Aucune version du ROME n° {switch}.")
            try:
                release = switch_release(release)
            except ReleaseError as exc:
                raise CommandError("\n".join(exc.messages)) from None
            self.stdout.write(f"Version n° {release.pk} (v{release.version}) mise en service.")
            self.stdout.write(TENSION_REMINDER)
            return
        if not directory:
            raise CommandError("Indiquez le dossier des fichiers CSV du ROME 4.0, ou --switch <numéro>.")
        try:
            release = load_release(Path(directory))
        except ReleaseError as exc:
            raise CommandError("Version refusée, rien n'a été mis en service :\n" + "\n".join(exc.messages)) from None
        counts = release.counts
        self.stdout.write(f"Version n° {release.pk} : ROME 4.0 v{release.version} « {release.title} » chargée.")
        self.stdout.write(f"Fiches métiers : {counts['sheets']}")
        self.stdout.write(f"Appellations : {counts['appellations']}")
        self.stdout.write(f"Compétences et savoirs : {counts['skills']}")
        self.stdout.write(f"Liens fiche–compétence : {counts['sheet_skills']}")
        self.stdout.write(f"Mobilités : {counts['mobilities']}")
        self.stdout.write(f"Domaines professionnels : {counts['domains']}")
        self.stdout.write(f"Chargement : {release.duration_s:.1f} s")
        if no_switch:
            self.stdout.write(
                f"Version non mise en service (--no-switch) : « manage.py rome_import --switch {release.pk} » "
                "pour la mettre en service."
            )
            return
        try:
            release = switch_release(release)
        except ReleaseError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        duration = (release.switched_at - release.loaded_at).total_seconds() if release.switched_at else 0
        self.stdout.write(f"Mise en service : faite ({duration:.1f} s depuis le début du chargement).")
        self.stdout.write(TENSION_REMINDER)
