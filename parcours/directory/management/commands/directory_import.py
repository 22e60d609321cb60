import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.directory import importing
from parcours.directory.duplicates import detect_duplicates
from parcours.directory.models import ImportRun, ImportStatus

SHOWN_REJECTIONS = 20


class Command(BaseCommand):
    help = (
        "Importe un export data·inclusion v1 (liste JSON, réponse paginée de l'API ou CSV) de structures ou de "
        "services : mise à jour sur (source, id), lignes invalides listées, reprise possible après une "
        "interruption avec --resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Fichier à importer (.json ou .csv).")
        parser.add_argument(
            "--kind", choices=importing.KINDS, help="structures ou services (détecté d'après le fichier sinon)."
        )
        parser.add_argument("--source", default="", help="Source à utiliser pour les enregistrements qui n'en ont pas.")
        parser.add_argument("--chunk-size", type=int, default=500, help="Lignes par transaction (défaut : 500).")
        parser.add_argument("--resume", type=int, metavar="RUN_ID", help="Reprendre un import interrompu.")

    def handle(self, *args, path=None, kind=None, source="", chunk_size=500, resume=None, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size doit être un entier positif.")
        source = (source or "").strip()
        if "\x00" in source or len(source) > 64:
            raise CommandError("--source : 64 caractères au plus, sans caractère nul.")
        if resume is not None:
            if path:
                raise CommandError("Indiquez soit un fichier, soit --resume, pas les deux.")
            run = ImportRun.objects.defer("rows").filter(pk=resume).first()
            if run is None:
                raise CommandError(f"Aucun import n° {resume}.")
            if run.status == ImportStatus.DONE:
                self.stdout.write(f"L'import n° {run.pk} est déjà terminé.")
                self._report(run)
                return
            self.stdout.write(f"Reprise de l'import n° {run.pk} à la ligne {run.processed_rows + 1}.")
        else:
            if not path:
                raise CommandError("Indiquez le fichier à importer, ou --resume RUN_ID.")
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"Fichier introuvable : {path}")
            try:
                importing.check_size(file.stat().st_size)
                parsed = importing.parse_upload(file.read_bytes(), file.name, kind=kind)
            except importing.ImportFileError as exc:
                raise CommandError(str(exc)) from None
            run = importing.create_run(parsed=parsed, source=source)
            self.stdout.write(
                f"Import n° {run.pk} : {importing.thousands(run.total_rows)} {run.kind} "
                f"({parsed.file_format.upper()}) depuis {file.name}."
            )
        progress = _Progress(self.stdout)
        try:
            run = importing.run_to_completion(run, chunk_size=chunk_size, progress=progress)
        except Exception as exc:
            progress.end()
            raise CommandError(
                f"L'import n° {run.pk} s'est interrompu ({type(exc).__name__} : {exc}). Les lignes déjà traitées "
                f"sont enregistrées ; reprenez avec : manage.py directory_import --resume {run.pk}"
            ) from exc
        progress.end()
        self._report(run)
        if run.status == ImportStatus.DONE and run.created_count + run.updated_count:
            flagged = detect_duplicates()
            self.stdout.write(
                f"Doublons possibles signalés : {flagged} (à examiner sur la page « Doublons possibles »)."
            )

    def _report(self, run):
        self.stdout.write(self.style.SUCCESS(importing.summary(run)))
        rejections = list(run.rejections.all()[:SHOWN_REJECTIONS])
        if rejections:
            self.stdout.write("Lignes rejetées :")
            for rejection in rejections:
                ident = f" (id « {rejection.record_id} »)" if rejection.record_id else ""
                self.stdout.write(f"- ligne {rejection.row_number}{ident} : {' ; '.join(rejection.reasons)}")
            if run.rejected_count > len(rejections):
                self.stdout.write(
                    f"… et {importing.thousands(run.rejected_count - len(rejections))} autre(s) : voir la page "
                    f"/offre/imports/{run.pk}/"
                )


class _Progress:
    """A bar redrawn in place (\\r) on a terminal; elsewhere (a log, a pipe) a line every 10 %."""

    def __init__(self, stdout):
        self.stdout = stdout
        stream = getattr(stdout, "_out", stdout)
        self.tty = bool(getattr(stream, "isatty", lambda: False)()) and stream is not sys.stderr
        self.last_tenth = -1
        self.drawn = False

    def __call__(self, run):
        bar = importing.progress_bar(run.processed_rows, run.total_rows)
        if self.tty:
            self.stdout.write("\r" + bar, ending="")
            self.stdout.flush()
            self.drawn = True
            return
        tenth = importing.percent(run) // 10
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self.stdout.write(bar)

    def end(self):
        if self.tty and self.drawn:
            self.stdout.write("")
            self.drawn = False
