"""Name pools by origin, drawn once from Faker (seeded) so that generating a person costs a list
lookup, not a Faker call.

Faker's locales are used where they give names as a French administration writes them (Latin
script): fr_FR, fr_DZ (Maghreb and Levant names in French transcription, used for Syria and
Sudan too), en_PK (Afghan names are close to Pakistani Pashto/Urdu names in Latin script), uk_UA
(transliterated from Cyrillic), ro_RO, tr_TR. Faker has no locale for Guinea nor Eritrea: short
hand-written lists of common names stand in for them.
"""

import random
import unicodedata
from dataclasses import dataclass

from faker import Faker

# Ukrainian national transliteration (2010), simplified to the letters Faker uses.
_UK = {
    "А": "A", "Б": "B", "В": "V", "Г": "H", "Ґ": "G", "Д": "D", "Е": "E", "Є": "Ye", "Ж": "Zh", "З": "Z",
    "И": "Y", "І": "I", "Ї": "Yi", "Й": "Y", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P",
    "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts", "Ч": "Ch", "Ш": "Sh",
    "Щ": "Shch", "Ь": "", "Ю": "Yu", "Я": "Ya", "'": "", "’": "", "Ы": "Y", "Э": "E", "Ъ": "", "Ё": "Yo",
}  # fmt: skip
_UK_TABLE = {}
for _upper, _latin in _UK.items():
    _UK_TABLE[ord(_upper)] = _latin
    if _upper.lower() != _upper:
        _UK_TABLE[ord(_upper.lower())] = _latin.lower()


def transliterate_uk(text: str) -> str:
    return text.translate(_UK_TABLE)


def ascii_slug(text: str) -> str:
    """ "Élodie Garnier" -> "elodie-garnier" (for e-mail addresses)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


_GUINEA = {
    "male": ["Mamadou", "Alpha", "Ibrahima", "Thierno", "Oumar", "Sékou", "Amadou", "Boubacar", "Abdoulaye", "Mohamed", "Lansana", "Ousmane"],
    "female": ["Mariama", "Fatoumata", "Aïssatou", "Kadiatou", "Hawa", "Oumou", "Binta", "Mariame", "Djenabou", "Aminata"],
    "last": ["Diallo", "Barry", "Bah", "Camara", "Sylla", "Soumah", "Keïta", "Condé", "Touré", "Baldé", "Sow", "Cissé", "Kaba", "Bangoura", "Kourouma"],
}  # fmt: skip
_ERITREA = {
    "male": ["Yonas", "Filmon", "Mussie", "Tesfalem", "Daniel", "Robel", "Henok", "Samuel", "Biniam", "Merhawi", "Amanuel"],
    "female": ["Senait", "Helen", "Selam", "Semhar", "Luwam", "Saba", "Feven", "Yodit", "Rahel", "Winta"],
    "last": ["Tesfay", "Berhane", "Haile", "Ghebremedhin", "Tekle", "Kidane", "Weldemariam", "Yohannes", "Gebremariam", "Habte", "Mebrahtu", "Asmerom"],
}  # fmt: skip

# Origin -> Faker locale (or a hand-written pool).
ORIGIN_LOCALES = {
    "fr": "fr_FR",
    "maghreb": "fr_DZ",
    "arabic": "fr_DZ",
    "afghan": "en_PK",
    "ukrainian": "uk_UA",
    "romanian": "ro_RO",
    "turkish": "tr_TR",
}


@dataclass
class NamePool:
    male: list[str]
    female: list[str]
    last: list[str]


def _faker_pool(locale: str, seed: int, size: int) -> NamePool:
    fake = Faker(locale)
    fake.seed_instance(seed)
    fix = transliterate_uk if locale in ("uk_UA", "ru_RU") else (lambda s: s)
    male = sorted({fix(fake.first_name_male()) for _ in range(size)})
    female = sorted({fix(fake.first_name_female()) for _ in range(size)})
    last = sorted({fix(fake.last_name()) for _ in range(size * 2)})
    return NamePool(male=male, female=female, last=last)


class Names:
    """Deterministic pools: the same seed gives the same pools, hence the same people."""

    def __init__(self, seed: int, size: int = 250):
        self.pools: dict[str, NamePool] = {}
        for index, (origin, locale) in enumerate(sorted(ORIGIN_LOCALES.items())):
            self.pools[origin] = _faker_pool(locale, seed + index, size)
        self.pools["guinean"] = NamePool(**_GUINEA)
        self.pools["eritrean"] = NamePool(**_ERITREA)
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        self.streets = sorted({fake.street_address() for _ in range(600)})

    def pick(self, rng: random.Random, origin: str, sex: str) -> tuple[str, str]:
        pool = self.pools.get(origin) or self.pools["fr"]
        firsts = pool.female if sex == "F" else pool.male
        return rng.choice(firsts), rng.choice(pool.last)
