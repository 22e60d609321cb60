from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcours.directory import importing
from parcours.directory.models import ImportKind


class ImportUploadForm(forms.Form):
    """A data·inclusion dump to import. The file is read in `clean`: an unusable file (malformed, wrong
    kind, too large) is a form error and nothing is written."""

    file = forms.FileField(
        label=gettext_lazy("Fichier"),
        help_text=gettext_lazy(
            "Export data·inclusion v1 : liste JSON, réponse paginée de l'API (JSON) ou CSV (séparateur virgule "
            "ou point-virgule, encodé en UTF-8)."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à importer."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Contenu"),
        choices=[("", gettext_lazy("Détecter d'après le fichier")), *ImportKind.choices],
        required=False,
        help_text=gettext_lazy("Importez les structures avant leurs services."),
    )
    source = forms.CharField(
        label=gettext_lazy("Source par défaut"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Utilisée pour les enregistrements sans « source » (par exemple : dora, soliguide)."),
        error_messages={"max_length": gettext_lazy("Ce texte ne peut dépasser %(limit_value)s caractères.")},
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            importing.check_size(upload.size)
            cleaned["parsed"] = importing.parse_upload(
                upload.read(), upload.name or "", kind=cleaned.get("kind") or None
            )
        except importing.ImportFileError as exc:
            self.add_error("file", str(exc))
        except OSError:
            self.add_error("file", _("Le fichier n'a pas pu être lu : déposez-le à nouveau."))
        return cleaned
