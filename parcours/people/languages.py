"""French names of the languages most often met in the SPIE's accompaniment (ISO 639-1, or 639-3
where 639-1 has no code, as for Dari). The diagnostic forms offer them as a list so that a
professional never has to type a code; a code outside the list still reads (as the code itself).
Every code here must be one the domain accepts (parcours.people.models.KNOWN_LANGUAGE_CODES)."""

import unicodedata

from django.utils.translation import gettext_lazy as _

LANGUAGE_NAMES = {
    "fr": _("Français"),
    "am": _("Amharique"),
    "ar": _("Arabe"),
    "hy": _("Arménien"),
    "bm": _("Bambara"),
    "bn": _("Bengali"),
    "my": _("Birman"),
    "bg": _("Bulgare"),
    "zh": _("Chinois"),
    "ko": _("Coréen"),
    "prs": _("Dari"),
    "de": _("Allemand"),
    "en": _("Anglais"),
    "es": _("Espagnol"),
    "fa": _("Persan (farsi)"),
    "ff": _("Peul"),
    "ka": _("Géorgien"),
    "el": _("Grec"),
    "hi": _("Hindi"),
    "hu": _("Hongrois"),
    "it": _("Italien"),
    "ja": _("Japonais"),
    "ku": _("Kurde"),
    "ln": _("Lingala"),
    "mn": _("Mongol"),
    "nl": _("Néerlandais"),
    "ps": _("Pachto"),
    "pa": _("Pendjabi"),
    "pl": _("Polonais"),
    "pt": _("Portugais"),
    "ro": _("Roumain"),
    "ru": _("Russe"),
    "sr": _("Serbe"),
    "so": _("Somali"),
    "sw": _("Swahili"),
    "ta": _("Tamoul"),
    "th": _("Thaï"),
    "ti": _("Tigrigna"),
    "tr": _("Turc"),
    "uk": _("Ukrainien"),
    "ur": _("Ourdou"),
    "vi": _("Vietnamien"),
    "wo": _("Wolof"),
    "sq": _("Albanais"),
    "aeb": _("Arabe tunisien"),
    "apc": _("Arabe levantin"),
    "arq": _("Arabe algérien"),
    "ary": _("Arabe marocain"),
    "arz": _("Arabe égyptien"),
    "az": _("Azéri"),
    "bal": _("Baloutche"),
    "be": _("Biélorusse"),
    "ber": _("Berbère"),
    "bs": _("Bosnien"),
    "ckb": _("Kurde sorani"),
    "cmn": _("Mandarin"),
    "cs": _("Tchèque"),
    "dyu": _("Dioula"),
    "fsl": _("Langue des signes française"),
    "ha": _("Haoussa"),
    "haz": _("Hazaragi"),
    "he": _("Hébreu"),
    "hr": _("Croate"),
    "ht": _("Créole haïtien"),
    "ig": _("Igbo"),
    "kab": _("Kabyle"),
    "kg": _("Kikongo"),
    "kk": _("Kazakh"),
    "km": _("Khmer"),
    "kmr": _("Kurde kurmandji"),
    "kri": _("Krio"),
    "ky": _("Kirghiz"),
    "lo": _("Lao"),
    "mfe": _("Créole mauricien"),
    "mg": _("Malgache"),
    "mk": _("Macédonien"),
    "mnk": _("Mandingue"),
    "ne": _("Népalais"),
    "om": _("Oromo"),
    "rn": _("Kirundi"),
    "rom": _("Romani"),
    "rw": _("Kinyarwanda"),
    "sg": _("Sango"),
    "si": _("Cingalais"),
    "sk": _("Slovaque"),
    "snk": _("Soninké"),
    "sus": _("Soussou"),
    "tg": _("Tadjik"),
    "tig": _("Tigré"),
    "tk": _("Turkmène"),
    "tl": _("Tagalog"),
    "ug": _("Ouïghour"),
    "uz": _("Ouzbek"),
    "yo": _("Yoruba"),
    "yue": _("Cantonais"),
}


def _sort_key(name) -> str:
    return unicodedata.normalize("NFD", str(name)).encode("ascii", "ignore").decode().lower()


def language_name(code: str) -> str:
    """The French name of a language code, or the code itself when it is not in the list."""
    name = LANGUAGE_NAMES.get(code)
    return str(name) if name is not None else code


def language_choices(*, extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Choices for a select: French first, then alphabetical by French name; `extra` adds codes
    already recorded for the person that the list does not know, so that a prefilled form stays valid."""
    others = sorted((code for code in LANGUAGE_NAMES if code != "fr"), key=lambda c: _sort_key(LANGUAGE_NAMES[c]))
    unknown = sorted({code for code in extra if code and code not in LANGUAGE_NAMES})
    return (
        [("", "—")]
        + [(code, f"{LANGUAGE_NAMES[code]} ({code})") for code in ["fr", *others]]
        + [(code, code) for code in unknown]
    )
