"""The people of the demo territory: profiles that cover the diversity of the SPIE's public, and
the vocabulary of their histories (diagnostic situations, goals and actions, notes).

Pure data and pure functions of a `random.Random`: no ORM. Texts are demo content (the words a
case worker would write), not interface strings.
"""

import datetime
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

# Profile -> weight in the population. Pending orientation = RSA claimants whose orientation is
# not decided yet (no referent: the chargé·e d'orientation's queue).
PROFILE_WEIGHTS = {
    "rsa_long_term": 22,
    "youth": 17,
    "refugee": 15,
    "ukraine": 5,
    "asylum_guinea": 4,
    "disability": 8,
    "senior": 8,
    "executive": 4,
    "mother_no_childcare": 4,
    "pending_orientation": 8,
    "migrant_worker": 5,
}
# The first people generated cover every profile, whatever the size asked for.
MANDATORY = (
    ("refugee", {"force_cir": True, "referent": "sophie.martin", "persona": True}),
    ("mother_no_childcare", {"referent": "fatima.ouali"}),
    ("ukraine", {"force_expiring": True, "referent": "amina.diallo"}),
    ("pending_orientation", {}),
    ("disability", {"referent": "anne.perrin"}),
    ("youth", {"referent": "lea.dubois"}),
    ("senior", {"referent": "karim.benali"}),
    ("rsa_long_term", {"referent": "fatima.ouali"}),
    ("asylum_guinea", {"referent": "amina.diallo"}),
    ("executive", {"referent": "marc.durand"}),
    ("migrant_worker", {"referent": "elodie.garnier"}),
    ("refugee", {"force_expiring": True, "country": "SD", "referent": "sophie.martin"}),
    ("mother_no_childcare", {"referent": "sophie.martin"}),
    ("refugee", {"force_cir": True, "country": "AF", "referent": "camille.girard"}),
)
# The first person (a refugee followed by sophie.martin, kept out of the programmes' history) is the
# persona of the "Pistes" journey (docs/demo.md). The drawn story stays; the jobs and the needs the
# journey shows are set: care work abroad (OGR appellation codes of ROME 4.0; None: the sheet's
# principal appellation), a wish to become a care assistant (J1501, in tension), housing, French and
# employment as priority needs.
PERSONA_EXPERIENCES = (("K1304", 3.0, "AF", 10805), ("J1301", 1.5, "AF", None))  # aide à domicile, ASH
PERSONA_WISHES = ((10891, "wish"),)  # Aide-soignant / Aide-soignante
PERSONA_NEEDS = {
    "logement": ("priority", ("logement-hebergement-urgence", "logement-demande-hlm")),
    "maitrise_langue": ("priority", ("langue-non-francophone", "langue-cir-heures-a-suivre")),
    "emploi": ("priority", ("emploi-jamais-travaille-france", "emploi-projet-defini")),
}
# Share of the population living near Saint-Nazaire is given by the communes' weights below.
COMMUNE_WEIGHTS = {
    "44109": 30,  # Nantes
    "44184": 8,  # Saint-Nazaire
    "44162": 5,  # Saint-Herblain
    "44143": 5,  # Rezé
    "44190": 3,  # Saint-Sébastien-sur-Loire
    "44114": 3,  # Orvault
    "44215": 2,  # Vertou
    "44047": 2,  # Couëron
    "44026": 2,  # Carquefou
    "44035": 2,  # La Chapelle-sur-Erdre
    "44020": 2,  # Bouguenais
    "44036": 2,  # Châteaubriant
    "44003": 1.5,  # Ancenis
    "44069": 1.5,  # Guérande
    "44055": 1.5,  # La Baule-Escoublac
    "44131": 1.2,  # Pornic
}
OTHER_COMMUNE_WEIGHT = 0.2
# West of this longitude, people are followed by the Saint-Nazaire agencies.
SAINT_NAZAIRE_LONGITUDE = -1.95


@dataclass(frozen=True)
class Country:
    code: str
    origin: str  # name pool (see names.ORIGIN_LOCALES)
    languages: tuple[tuple[str, ...], ...]  # possible sets of languages spoken
    birth_place: tuple[str, ...]
    qualifications: tuple[str, ...] = ()


COUNTRIES = {
    "AF": Country("AF", "afghan", (("prs", "ps"), ("prs",), ("ps", "ur")), ("Kaboul", "Hérat", "Mazar-e Charif", "Kandahar", "Jalalabad"),
                  ("Licence de droit (Université de Kaboul)", "Diplôme d'enseignant", "Baccalauréat afghan", "Diplôme d'infirmier")),
    "SY": Country("SY", "arabic", (("ar",), ("ar", "en"), ("ar", "ku")), ("Alep", "Damas", "Homs", "Deir ez-Zor", "Idlib"),
                  ("Licence de pharmacie (Université de Damas)", "Diplôme d'ingénieur civil", "Baccalauréat syrien", "Diplôme de comptabilité")),
    "SD": Country("SD", "arabic", (("ar",), ("ar", "en")), ("Khartoum", "El Fasher", "Nyala", "Kassala", "Port-Soudan"),
                  ("Licence d'agronomie (Université de Khartoum)", "Certificat secondaire soudanais")),
    "ER": Country("ER", "eritrean", (("ti",), ("ti", "ar"), ("ti", "en")), ("Asmara", "Keren", "Massawa", "Mendefera"),
                  ("Certificat de fin d'études secondaires",)),
    "UA": Country("UA", "ukrainian", (("uk", "ru"), ("uk",), ("ru", "uk", "en")), ("Kharkiv", "Kyiv", "Odesa", "Marioupol", "Dnipro", "Zaporijjia"),
                  ("Diplôme de spécialiste en économie", "Master de pédagogie", "Diplôme d'infirmière", "Diplôme d'ingénieure en mécanique")),
    "GN": Country("GN", "guinean", (("fr", "ff"), ("fr", "sus"), ("ff",), ("fr", "man")), ("Conakry", "Labé", "Kankan", "Kindia", "Nzérékoré"),
                  ("BEPC guinéen",)),
    "MA": Country("MA", "maghreb", (("ar", "fr"), ("ar", "ber", "fr")), ("Casablanca", "Rabat", "Fès", "Oujda")),
    "DZ": Country("DZ", "maghreb", (("ar", "fr"), ("kab", "fr")), ("Alger", "Oran", "Tizi Ouzou", "Constantine")),
    "TN": Country("TN", "maghreb", (("ar", "fr"),), ("Tunis", "Sfax", "Sousse")),
    "TR": Country("TR", "turkish", (("tr",), ("tr", "ku")), ("Istanbul", "Ankara", "Diyarbakır", "Gaziantep")),
    "RO": Country("RO", "romanian", (("ro",), ("ro", "en")), ("Bucarest", "Iași", "Constanța", "Craiova")),
}  # fmt: skip

REFUGEE_COUNTRIES = (("AF", 35), ("SY", 20), ("SD", 25), ("ER", 20))
MIGRANT_COUNTRIES = (("MA", 30), ("DZ", 30), ("TN", 15), ("TR", 10), ("RO", 15))

ASYLUM_NOTES = {
    "AF": "Arrivé·e après un parcours par l'Iran et la Turquie. Protection accordée par l'OFPRA.",
    "SY": "Réinstallation depuis le Liban (programme HCR). Famille en partie restée à Alep.",
    "SD": "Parcours migratoire par la Libye et l'Italie ; a passé plusieurs mois dans un camp. Protection accordée par la CNDA.",
    "ER": "A fui le service national illimité. Parcours par le Soudan et la Libye. Statut de réfugié·e accordé par l'OFPRA.",
    "UA": "Arrivée en 2022 après l'invasion de l'Ukraine ; protection temporaire renouvelée.",
    "GN": "Demande d'asile enregistrée au GUDA de Nantes ; en attente de la décision de l'OFPRA.",
}

# Diagnostic vocabulary: theme -> candidate situation codes (parcours/diagnostics/data/situations.csv).
THEME_SITUATIONS = {
    "emploi": ("emploi-sans-emploi-moins-1-an", "emploi-sans-emploi-plus-1-an", "emploi-jamais-travaille", "emploi-jamais-travaille-france",
               "emploi-temps-partiel-subi", "emploi-projet-a-definir", "emploi-projet-defini", "emploi-creation-entreprise"),
    "formation": ("formation-sans-diplome", "formation-diplome-etranger-non-reconnu", "formation-besoin-qualification",
                  "formation-vae-possible", "formation-illettrisme"),
    "logement": ("logement-sans-hebergement", "logement-hebergement-urgence", "logement-heberge-tiers", "logement-insalubre",
                 "logement-impayes", "logement-demande-hlm"),
    "sante": ("sante-suivi-medical", "sante-souffrance-psychique", "sante-addiction", "sante-sans-couverture", "sante-handicap-demarches"),
    "mobilite": ("mobilite-sans-permis", "mobilite-permis-etranger", "mobilite-sans-vehicule", "mobilite-zone-non-desservie",
                 "mobilite-freins-deplacement"),
    "contraintes_familiales": ("famille-enfant-moins-3-ans-sans-garde", "famille-parent-isole", "famille-aidant", "famille-violences"),
    "difficultes_administratives": ("admin-titre-sejour-renouvellement", "admin-droits-non-ouverts", "admin-pieces-identite",
                                    "admin-domiciliation", "admin-compte-bancaire"),
    "difficultes_financieres": ("finances-dettes", "finances-sans-ressources", "finances-reste-a-vivre"),
    "maitrise_langue": ("langue-non-francophone", "langue-oral-seulement", "langue-non-scolarise", "langue-cir-heures-a-suivre"),
    "numerique": ("numerique-sans-equipement", "numerique-sans-connexion", "numerique-usages-base", "numerique-demarches-en-ligne"),
}  # fmt: skip

# Profile -> themes usually worked on, with the situations that fit the profile best.
PROFILE_THEMES = {
    "rsa_long_term": {
        "emploi": ("emploi-sans-emploi-plus-1-an", "emploi-projet-a-definir"),
        "logement": ("logement-impayes", "logement-demande-hlm", "logement-heberge-tiers"),
        "sante": ("sante-suivi-medical", "sante-souffrance-psychique", "sante-addiction"),
        "mobilite": ("mobilite-sans-permis", "mobilite-sans-vehicule", "mobilite-zone-non-desservie"),
        "difficultes_financieres": ("finances-dettes", "finances-reste-a-vivre"),
        "numerique": ("numerique-usages-base", "numerique-demarches-en-ligne"),
    },
    "youth": {
        "emploi": ("emploi-jamais-travaille", "emploi-projet-a-definir"),
        "formation": ("formation-sans-diplome", "formation-besoin-qualification"),
        "mobilite": ("mobilite-sans-permis", "mobilite-sans-vehicule"),
        "logement": ("logement-heberge-tiers", "logement-sans-hebergement"),
        "difficultes_administratives": ("admin-droits-non-ouverts", "admin-compte-bancaire"),
    },
    "refugee": {
        "emploi": ("emploi-jamais-travaille-france", "emploi-projet-defini"),
        "formation": (
            "formation-diplome-etranger-non-reconnu",
            "formation-vae-possible",
            "formation-besoin-qualification",
        ),
        "maitrise_langue": ("langue-non-francophone", "langue-cir-heures-a-suivre", "langue-non-scolarise"),
        "logement": ("logement-hebergement-urgence", "logement-demande-hlm"),
        "difficultes_administratives": (
            "admin-titre-sejour-renouvellement",
            "admin-pieces-identite",
            "admin-compte-bancaire",
        ),
        "mobilite": ("mobilite-permis-etranger", "mobilite-sans-permis"),
        "sante": ("sante-souffrance-psychique", "sante-sans-couverture"),
    },
    "ukraine": {
        "emploi": ("emploi-jamais-travaille-france", "emploi-temps-partiel-subi"),
        "maitrise_langue": ("langue-non-francophone",),
        "formation": ("formation-diplome-etranger-non-reconnu",),
        "logement": ("logement-heberge-tiers", "logement-demande-hlm"),
        "difficultes_administratives": ("admin-titre-sejour-renouvellement",),
    },
    "asylum_guinea": {
        "difficultes_administratives": (
            "admin-domiciliation",
            "admin-titre-sejour-renouvellement",
            "admin-pieces-identite",
        ),
        "logement": ("logement-hebergement-urgence", "logement-sans-hebergement"),
        "maitrise_langue": ("langue-oral-seulement", "langue-non-scolarise"),
        "difficultes_financieres": ("finances-sans-ressources",),
        "sante": ("sante-sans-couverture", "sante-souffrance-psychique"),
    },
    "disability": {
        "emploi": ("emploi-sans-emploi-plus-1-an", "emploi-projet-a-definir"),
        "sante": ("sante-suivi-medical", "sante-handicap-demarches"),
        "formation": ("formation-besoin-qualification", "formation-vae-possible"),
        "mobilite": ("mobilite-freins-deplacement", "mobilite-sans-vehicule"),
    },
    "senior": {
        "emploi": ("emploi-sans-emploi-plus-1-an", "emploi-sans-emploi-moins-1-an"),
        "formation": ("formation-vae-possible", "formation-besoin-qualification"),
        "numerique": ("numerique-demarches-en-ligne", "numerique-usages-base"),
        "sante": ("sante-suivi-medical",),
    },
    "executive": {
        "emploi": ("emploi-sans-emploi-moins-1-an", "emploi-projet-defini", "emploi-creation-entreprise"),
        "formation": ("formation-vae-possible",),
    },
    "mother_no_childcare": {
        "contraintes_familiales": ("famille-enfant-moins-3-ans-sans-garde", "famille-parent-isole"),
        "emploi": ("emploi-sans-emploi-plus-1-an", "emploi-temps-partiel-subi"),
        "difficultes_financieres": ("finances-reste-a-vivre", "finances-dettes"),
        "logement": ("logement-demande-hlm", "logement-insalubre"),
        "mobilite": ("mobilite-sans-permis", "mobilite-sans-vehicule"),
    },
    "pending_orientation": {
        "emploi": ("emploi-sans-emploi-plus-1-an", "emploi-sans-emploi-moins-1-an"),
        "difficultes_administratives": ("admin-droits-non-ouverts",),
        "difficultes_financieres": ("finances-sans-ressources",),
        "logement": ("logement-heberge-tiers",),
    },
    "migrant_worker": {
        "emploi": ("emploi-sans-emploi-moins-1-an", "emploi-temps-partiel-subi"),
        "formation": ("formation-diplome-etranger-non-reconnu", "formation-vae-possible"),
        "difficultes_administratives": ("admin-titre-sejour-renouvellement",),
        "mobilite": ("mobilite-permis-etranger",),
    },
}

THEME_NOTES = {
    "emploi": ("Souhaite travailler rapidement, même à temps partiel.", "Expérience solide, CV à reprendre.",
               "A besoin de reprendre confiance après une longue période sans emploi."),
    "formation": ("Intéressé·e par une formation qualifiante courte.", "Diplôme étranger : demande ENIC-NARIC à lancer.",
                  "Pourrait valider son expérience par une VAE."),
    "logement": ("Hébergé·e provisoirement, demande de logement social déposée.", "Menace d'expulsion : saisir le FSL.",
                 "Hébergement en CPH jusqu'à la fin du programme."),
    "sante": ("Suivi régulier au centre de santé.", "Orientation vers une consultation de psychotraumatisme.",
              "Droits à la complémentaire santé solidaire à ouvrir."),
    "mobilite": ("Pas de permis, dépend des transports en commun.", "Permis étranger à échanger avant la date limite.",
                 "Commune mal desservie : chercher une solution de covoiturage."),
    "contraintes_familiales": ("Aucune place en crèche pour le moment.", "Garde ponctuelle par une voisine, non pérenne."),
    "difficultes_administratives": ("Titre de séjour à renouveler : rendez-vous préfecture à prendre.", "Domiciliation au CCAS en cours."),
    "difficultes_financieres": ("Dossier de surendettement à constituer.", "Reste à vivre très faible après le loyer."),
    "maitrise_langue": ("Comprend l'oral simple, écrit difficile.", "Suit les cours de français du CIR avec assiduité.",
                        "Besoin d'alphabétisation avant le FLE."),
    "numerique": ("Pas d'ordinateur, smartphone partagé.", "A besoin d'aide pour son espace France Travail."),
}  # fmt: skip

# Goals by theme, each with the actions that usually serve it.
GOALS = {
    "emploi": (
        ("Retrouver un emploi dans la logistique", ("Mettre à jour le CV", "Postuler à cinq offres de préparateur de commandes", "Participer au job dating logistique de Carquefou")),
        ("Accéder à un premier emploi en restauration", ("Préparer l'entretien d'embauche", "Faire une immersion professionnelle (PMSMP)", "Candidater aux offres de commis de cuisine")),
        ("Retrouver un emploi d'aide-soignant·e", ("Rencontrer un employeur du secteur médico-social", "Mettre à jour le CV", "S'inscrire au forum santé de Saint-Herblain")),
        ("Définir un projet professionnel réaliste", ("Réaliser un bilan de compétences", "Faire deux immersions professionnelles", "Explorer les métiers en tension du bassin")),
        ("Créer son entreprise de services", ("Rencontrer la BGE", "Rédiger le prévisionnel", "Suivre l'atelier création d'entreprise")),
    ),
    "formation": (
        ("Entrer en formation qualifiante", ("S'inscrire à l'information collective de l'AFPA", "Passer les tests de positionnement", "Monter le dossier de financement (Région / CPF)")),
        ("Faire reconnaître son diplôme étranger", ("Déposer la demande d'attestation ENIC-NARIC", "Faire traduire le diplôme par un traducteur assermenté")),
        ("Valider son expérience par une VAE", ("Choisir la certification visée", "Déposer le dossier de recevabilité", "Préparer le passage devant le jury")),
    ),
    "logement": (
        ("Accéder à un logement autonome", ("Déposer la demande de logement social", "Demander l'aide du FSL pour l'entrée dans les lieux", "Rendez-vous avec le SIAO")),
        ("Sortir de l'hébergement d'urgence", ("Compléter le dossier SIAO", "Visiter un logement en résidence sociale")),
    ),
    "sante": (
        ("Ouvrir ses droits à la santé", ("Constituer le dossier de complémentaire santé solidaire", "Déclarer un médecin traitant")),
        ("Engager une démarche de soins", ("Prendre rendez-vous au centre médico-psychologique", "Faire le point avec l'assistante sociale de secteur")),
    ),
    "mobilite": (
        ("Obtenir le permis B", ("S'inscrire à l'auto-école sociale", "Demander l'aide au permis du Département", "Passer l'examen du code")),
        ("Échanger son permis étranger", ("Déposer la demande d'échange sur le site de l'ANTS", "Faire traduire le permis")),
        ("Se déplacer seul·e vers son lieu de formation", ("Faire le trajet accompagné·e une première fois", "Demander la tarification solidaire des transports")),
    ),
    "contraintes_familiales": (
        ("Trouver un mode de garde pour l'enfant", ("Déposer une demande de place en multi-accueil", "Contacter le relais petite enfance", "Demander le complément de libre choix du mode de garde")),
    ),
    "difficultes_administratives": (
        ("Renouveler le titre de séjour", ("Prendre rendez-vous sur l'ANEF", "Rassembler les pièces justificatives", "Demander un récépissé")),
        ("Ouvrir ses droits sociaux", ("Déposer la demande de RSA", "Ouvrir un compte bancaire", "Obtenir une domiciliation")),
    ),
    "difficultes_financieres": (
        ("Stabiliser son budget", ("Rendez-vous avec la conseillère en économie sociale et familiale", "Déposer un dossier de surendettement")),
    ),
    "maitrise_langue": (
        ("Atteindre le niveau A2 en français", ("Suivre les heures de français du CIR", "S'inscrire à un atelier sociolinguistique", "Passer le DELF A2")),
        ("Apprendre à lire et écrire le français", ("Suivre l'atelier d'alphabétisation", "Faire le test de positionnement FLE")),
    ),
    "numerique": (
        ("Faire ses démarches en ligne", ("Suivre l'atelier numérique du CCAS", "Créer son espace France Travail", "Créer son compte Ameli")),
    ),
}  # fmt: skip

NOTES = {
    "common": (
        "Entretien de suivi : la personne est motivée, points d'étape fixés pour le mois prochain.",
        "Point téléphonique : démarches en cours, pas de difficulté nouvelle.",
        "Rendez-vous non honoré, relance par SMS. A rappelé pour excuser son absence.",
        "Bilan à mi-parcours : les objectifs restent d'actualité.",
        "Échange avec le partenaire : la candidature a bien été transmise.",
    ),
    "refugee": (
        "Entretien avec interprète : le projet professionnel se précise vers le BTP.",
        "Présentation du programme HOPE ; la personne souhaite candidater à la prochaine session.",
        "Heures de français du CIR en cours, bonne assiduité selon l'organisme de formation.",
    ),
    "youth": (
        "Signature du contrat d'engagement jeune ; 15 heures d'activité par semaine prévues.",
        "Atelier CV collectif suivi avec intérêt.",
    ),
    "rsa": (
        "Contrat d'engagements réciproques signé ; prochain point dans trois mois.",
        "Difficultés de logement au premier plan, orientation vers le FSL.",
    ),
}  # fmt: skip

APPOINTMENT_SUBJECTS = (
    "Entretien de suivi",
    "Diagnostic socio-professionnel",
    "Point sur la recherche d'emploi",
    "Préparation à l'entretien d'embauche",
    "Bilan du plan d'action",
    "Point sur les démarches administratives",
)

OCCUPATIONS_BY_PROFILE = {
    "rsa_long_term": ("K2204", "N1105", "D1507", "K1304", "G1605"),
    "youth": ("G1603", "D1505", "N1103", "G1803", "D1214"),
    "refugee": ("F1703", "F1604", "H2913", "G1602", "N1103", "I1604", "A1203"),
    "ukraine": ("J1301", "M1203", "K1303", "M1602", "K2111"),
    "asylum_guinea": ("F1703", "G1605", "A1203", "K2204"),
    "disability": ("M1602", "M1607", "H3302", "D1505"),
    "senior": ("N4101", "M1602", "I1304", "H2909", "D1212"),
    "executive": ("M1203", "M1805", "E1101", "K1801"),
    "mother_no_childcare": ("K1302", "J1301", "D1505", "K2204"),
    "pending_orientation": ("K2204", "N1105", "D1507"),
    "migrant_worker": ("F1703", "N4105", "H2102", "A1101", "F1606"),
}


@dataclass
class PersonDraft:
    profile: str
    sex: str
    origin: str
    nationality: str
    birth_date: datetime.date
    languages: list[str]
    birth_place: str = ""
    arrival_date: datetime.date | None = None
    protection_status: str = ""
    permit_kind: str = ""
    right_to_work: bool | None = None
    permit_issued: datetime.date | None = None
    permit_until: datetime.date | None = None
    protection_granted: datetime.date | None = None
    asylum_note: str = ""
    has_rqth: bool = False
    disability_note: str = ""
    education: str = ""
    household: str = ""
    licence: str = "none"
    vehicle: bool = False
    max_travel: int | None = None
    rsa: str = "none"
    are: str = "none"
    french_level: str = ""  # CECRL, for non-native speakers
    interpreting: str = ""  # language of the interpreter needed, if any
    cir: tuple | None = None  # (signed_on, prescribed, done, civic_done, level_at_signature)
    children: list = field(default_factory=list)  # [(birth_date, childcare)]
    qualifications: list = field(default_factory=list)  # [(title, country, year, recognition)]
    experiences: list = field(default_factory=list)  # [(rome_code, years, country)]
    appellations: dict = field(default_factory=dict)  # rome_code -> appellation code, when set (persona)
    wishes: list = field(default_factory=list)  # [(appellation code, "wish" | "target")], when set (persona)
    needs: dict = field(default_factory=dict)  # theme -> (need, situation codes), when set (persona)
    # Which referent organisations fit (territory.REFERENT_ORGS key); "" = awaiting orientation.
    referent_group: str = ""
    orientation: str = "pending"
    # Extra organisations that usually sit in the group (keys of territory.ORGANISATIONS).
    partners: tuple[str, ...] = ()


class FastRandom(random.Random):
    """random.Random with randint/choice from one random() call each: the stdlib versions
    (rejection sampling on getrandbits) cost 4x more, and the generator calls them millions of
    times. Still deterministic for a given seed."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


CECRL = ("A1.1", "A1", "A2", "B1", "B2", "C1", "C2")
CIR_HOURS = {"A1.1": 600, "A1": 400, "A2": 200, "B1": 100}


_CUMULATIVE: dict[tuple, tuple[tuple, list[float]]] = {}


def weighted(rng: random.Random, pairs) -> str:
    """A value drawn from ((value, weight), …); cumulative weights computed once per tuple."""
    known = _CUMULATIVE.get(pairs)
    if known is None:
        known = _CUMULATIVE[pairs] = (tuple(v for v, _ in pairs), list(accumulate(w for _, w in pairs)))
    values, cumulative = known
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


def pick_some(rng: random.Random, values: tuple, most: int) -> list:
    """1 to `most` distinct values (most <= 2), cheaper than random.sample for these sizes."""
    first = int(rng.random() * len(values))
    if most < 2 or len(values) < 2 or rng.random() < 0.5:
        return [values[first]]
    second = (first + 1 + int(rng.random() * (len(values) - 1))) % len(values)
    return [values[first], values[second]]


def _birth(rng: random.Random, today: datetime.date, min_age: int, max_age: int) -> datetime.date:
    days = rng.randint(min_age * 365 + 1, max_age * 365 + 300)
    return today - datetime.timedelta(days=days)


def _permit(rng: random.Random, today: datetime.date, kind_years: float, expiring: bool):
    """(issued_on, valid_until): valid a few years, sometimes expiring within 60 days."""
    if expiring:
        until = today + datetime.timedelta(days=rng.randint(5, 55))
    else:
        until = today + datetime.timedelta(days=rng.randint(70, int(kind_years * 365)))
    issued = until - datetime.timedelta(days=int(kind_years * 365))
    return issued, until


def draft_person(rng: random.Random, profile: str, today: datetime.date, **force) -> PersonDraft:
    sex = "F" if rng.random() < 0.5 else "M"
    expiring = force.get("force_expiring") or rng.random() < 0.08
    if profile == "rsa_long_term":
        d = PersonDraft(
            profile, sex, "maghreb" if rng.random() < 0.15 else "fr", "FR", _birth(rng, today, 28, 60), ["fr"]
        )
        d.rsa = "open"
        d.education = weighted(rng, (("1", 35), ("3", 40), ("4", 20), ("5", 5)))
        d.household = weighted(rng, (("alone", 50), ("single_parent", 25), ("couple", 15), ("hosted", 10)))
        d.licence = weighted(rng, (("none", 45), ("B", 50), ("in_progress", 5)))
        d.vehicle = d.licence == "B" and rng.random() < 0.5
        d.orientation = weighted(rng, (("social", 35), ("socio_professional", 40), ("professional", 25)))
        d.referent_group = "rsa_professional" if d.orientation == "professional" else "rsa_social"
        if d.orientation == "socio_professional" and rng.random() < 0.4:
            d.partners = ("ft_nantes_nord",)
    elif profile == "youth":
        d = PersonDraft(
            profile, sex, "maghreb" if rng.random() < 0.2 else "fr", "FR", _birth(rng, today, 16, 25), ["fr"]
        )
        d.education = weighted(rng, (("1", 40), ("3", 35), ("4", 25)))
        d.household = weighted(rng, (("hosted", 60), ("alone", 35), ("single_parent", 5)))
        d.licence = weighted(rng, (("none", 60), ("in_progress", 25), ("B", 15)))
        d.orientation = "professional"
        d.referent_group = "youth"
    elif profile in ("refugee", "ukraine", "asylum_guinea"):
        if profile == "refugee":
            country = COUNTRIES[force.get("country") or weighted(rng, REFUGEE_COUNTRIES)]
        else:
            country = COUNTRIES["UA" if profile == "ukraine" else "GN"]
        if profile == "ukraine":
            sex = "F" if rng.random() < 0.75 else "M"
        min_age, max_age = (18, 55) if profile != "ukraine" else (20, 62)
        d = PersonDraft(
            profile,
            sex,
            country.origin,
            country.code,
            _birth(rng, today, min_age, max_age),
            list(rng.choice(country.languages)),
            birth_place=rng.choice(country.birth_place),
        )
        years_here = rng.uniform(0.3, 4.0) if profile != "ukraine" else rng.uniform(0.5, 3.5)
        d.arrival_date = today - datetime.timedelta(days=int(years_here * 365))
        d.asylum_note = ASYLUM_NOTES[country.code]
        d.household = weighted(rng, (("alone", 45), ("couple", 25), ("single_parent", 15), ("hosted", 15)))
        d.licence = weighted(rng, (("none", 60), ("foreign", 35), ("B", 5)))
        if profile == "refugee":
            d.protection_status = "refugee" if rng.random() < 0.7 else "subsidiary"
            d.protection_granted = min(today, d.arrival_date + datetime.timedelta(days=rng.randint(120, 500)))
            d.permit_kind = "resident_card" if d.protection_status == "refugee" else "multiyear_card"
            d.right_to_work = True
            d.permit_issued, d.permit_until = _permit(
                rng, today, 10 if d.permit_kind == "resident_card" else 4, expiring
            )
            d.permit_issued = max(d.permit_issued, d.protection_granted)
            d.french_level = weighted(rng, (("A1.1", 30), ("A1", 30), ("A2", 25), ("B1", 15)))
            d.education = weighted(rng, (("0", 15), ("1", 30), ("3", 20), ("4", 20), ("6", 10), ("7", 5)))
            d.referent_group = "youth" if today.year - d.birth_date.year <= 25 else "refugee"
            d.partners = tuple(
                p for p, share in (("ofii", 0.9), ("asso_langues", 0.4), ("afpa", 0.3)) if rng.random() < share
            )
        elif profile == "ukraine":
            d.protection_status = "temporary"
            d.permit_kind = "temporary_protection"
            d.right_to_work = True
            d.permit_issued, d.permit_until = _permit(rng, today, 0.5, expiring)
            d.french_level = weighted(rng, (("A1.1", 35), ("A1", 35), ("A2", 25), ("B1", 5)))
            d.education = weighted(rng, (("4", 20), ("5", 25), ("6", 30), ("7", 25)))
            d.referent_group = "refugee"
            d.partners = ("asso_langues",) if rng.random() < 0.5 else ()
        else:
            d.protection_status = "asylum_seeker"
            d.permit_kind = "asylum_certificate"
            d.right_to_work = today - d.arrival_date > datetime.timedelta(days=183) and rng.random() < 0.6
            d.permit_issued, d.permit_until = _permit(rng, today, 0.75, expiring)
            d.french_level = weighted(rng, (("A1", 15), ("A2", 25), ("B1", 40), ("B2", 20)))
            d.education = weighted(rng, (("0", 25), ("1", 45), ("3", 20), ("4", 10)))
            d.referent_group = "refugee"
            d.partners = ("ccas_nantes",) if rng.random() < 0.5 else ()
        d.orientation = weighted(rng, (("professional", 55), ("socio_professional", 45)))
        if d.french_level in ("A1.1", "A1") and d.languages[0] != "fr":
            d.interpreting = d.languages[0]
        if country.qualifications and rng.random() < 0.5:
            d.qualifications.append(
                (
                    rng.choice(country.qualifications),
                    country.code,
                    rng.randint(1995, 2021),
                    weighted(rng, (("none", 50), ("requested", 35), ("obtained", 15))),
                )
            )
        if profile == "refugee" and (force.get("force_cir") or rng.random() < 0.85):
            signed = min(
                today - datetime.timedelta(days=7), d.protection_granted + datetime.timedelta(days=rng.randint(20, 120))
            )
            level = d.french_level if d.french_level in CIR_HOURS else "B1"
            prescribed = CIR_HOURS[level]
            d.cir = (signed, prescribed, rng.randint(0, prescribed), rng.random() < 0.6, level)
    elif profile == "disability":
        d = PersonDraft(profile, sex, "fr", "FR", _birth(rng, today, 22, 62), ["fr"])
        d.has_rqth = True
        d.disability_note = rng.choice((
            "Troubles musculo-squelettiques : éviter le port de charges lourdes.",
            "Déficience auditive : prévoir l'écrit ou un interprète LSF en entretien.",
            "Fatigabilité liée à une maladie chronique : temps partiel souhaité.",
            "Troubles psychiques stabilisés : environnement de travail calme.",
        ))  # fmt: skip
        d.education = weighted(rng, (("1", 20), ("3", 40), ("4", 25), ("5", 15)))
        d.household = weighted(rng, (("alone", 40), ("couple", 40), ("single_parent", 20)))
        d.licence = weighted(rng, (("none", 30), ("B", 70)))
        d.vehicle = d.licence == "B" and rng.random() < 0.6
        d.are = weighted(rng, (("open", 50), ("none", 50)))
        d.orientation = "professional"
        d.referent_group = "disability"
    elif profile == "senior":
        d = PersonDraft(profile, sex, "fr", "FR", _birth(rng, today, 55, 64), ["fr"])
        d.education = weighted(rng, (("3", 45), ("4", 30), ("5", 15), ("6", 10)))
        d.household = weighted(rng, (("couple", 55), ("alone", 45)))
        d.licence, d.vehicle = "B", rng.random() < 0.8
        d.are = weighted(rng, (("open", 65), ("none", 35)))
        d.rsa = "open" if d.are == "none" and rng.random() < 0.4 else "none"
        d.orientation = "professional"
        d.referent_group = "senior"
    elif profile == "executive":
        d = PersonDraft(profile, sex, "fr", "FR", _birth(rng, today, 30, 58), ["fr", "en"])
        d.education = weighted(rng, (("6", 30), ("7", 60), ("8", 10)))
        d.household = weighted(rng, (("couple", 70), ("alone", 30)))
        d.licence, d.vehicle = "B", True
        d.are = "open"
        d.orientation = "professional"
        d.referent_group = "executive"
    elif profile == "mother_no_childcare":
        foreign = rng.random() < 0.3
        country = COUNTRIES[weighted(rng, MIGRANT_COUNTRIES[:3])] if foreign else None
        d = PersonDraft(
            profile,
            "F",
            country.origin if country else "fr",
            country.code if country else "FR",
            _birth(rng, today, 20, 40),
            list(country.languages[0]) if country else ["fr"],
        )
        d.household = "single_parent"
        d.children.append((today - datetime.timedelta(days=rng.randint(60, 1000)), "none"))
        if rng.random() < 0.4:
            d.children.append((today - datetime.timedelta(days=rng.randint(1500, 4000)), "school"))
        d.rsa = "open"
        d.education = weighted(rng, (("1", 30), ("3", 40), ("4", 30)))
        d.licence = weighted(rng, (("none", 60), ("B", 40)))
        d.orientation = weighted(rng, (("socio_professional", 60), ("professional", 40)))
        d.referent_group = "rsa_social" if d.orientation == "socio_professional" else "rsa_professional"
        d.partners = ("caf",) if rng.random() < 0.5 else ()
        if country:
            d.arrival_date = d.birth_date + datetime.timedelta(days=rng.randint(18 * 365, 19 * 365))
            d.permit_kind, d.right_to_work = "resident_card", True
            d.permit_issued, d.permit_until = _permit(rng, today, 10, expiring)
            d.french_level = "B2"
    elif profile == "pending_orientation":
        d = PersonDraft(
            profile, sex, "fr" if rng.random() < 0.8 else "maghreb", "FR", _birth(rng, today, 25, 60), ["fr"]
        )
        d.rsa = "open" if rng.random() < 0.7 else "pending"
        d.education = weighted(rng, (("1", 35), ("3", 40), ("4", 25)))
        d.household = weighted(rng, (("alone", 55), ("single_parent", 25), ("hosted", 20)))
        d.licence = weighted(rng, (("none", 40), ("B", 60)))
        d.orientation = "pending"
        d.referent_group = ""
    elif profile == "migrant_worker":
        country = COUNTRIES[weighted(rng, MIGRANT_COUNTRIES)]
        d = PersonDraft(
            profile,
            sex,
            country.origin,
            country.code,
            _birth(rng, today, 24, 58),
            list(rng.choice(country.languages)),
            birth_place=rng.choice(country.birth_place),
        )
        d.arrival_date = today - datetime.timedelta(days=rng.randint(400, 4000))
        if country.code == "RO":
            d.permit_kind, d.right_to_work = "not_applicable", True
        else:
            d.permit_kind = weighted(rng, (("temporary_card", 40), ("multiyear_card", 40), ("resident_card", 20)))
            d.right_to_work = True
            years = {"temporary_card": 1, "multiyear_card": 4, "resident_card": 10}[d.permit_kind]
            d.permit_issued, d.permit_until = _permit(rng, today, years, expiring)
        d.french_level = weighted(rng, (("A2", 30), ("B1", 40), ("B2", 20), ("C1", 10)))
        d.education = weighted(rng, (("1", 30), ("3", 40), ("4", 20), ("5", 10)))
        d.household = weighted(rng, (("couple", 50), ("alone", 40), ("single_parent", 10)))
        d.licence = weighted(rng, (("foreign", 40), ("B", 40), ("none", 20)))
        d.are = weighted(rng, (("open", 50), ("none", 50)))
        d.orientation = "professional"
        d.referent_group = "senior" if today.year - d.birth_date.year >= 50 else "rsa_professional"
    else:  # pragma: no cover - a typo in PROFILE_WEIGHTS
        raise ValueError(profile)
    if d.arrival_date and d.arrival_date < d.birth_date:
        d.arrival_date = d.birth_date + datetime.timedelta(days=365)
    if d.household in ("single_parent", "couple") and not d.children and rng.random() < 0.6:
        for _ in range(rng.randint(1, 3)):
            age_days = rng.randint(200, 6000)
            care = "school" if age_days > 1100 else weighted(rng, (("creche", 40), ("assistant", 30), ("family", 30)))
            d.children.append((today - datetime.timedelta(days=age_days), care))
    codes = OCCUPATIONS_BY_PROFILE[profile]
    for _ in range(0 if profile == "youth" and rng.random() < 0.6 else rng.randint(1, 2)):
        abroad = d.nationality not in ("FR",) and rng.random() < 0.7
        d.experiences.append((rng.choice(codes), round(rng.uniform(0.5, 15), 1), d.nationality if abroad else "FR"))
    if force.get("persona"):  # set after the draws: the rest of the demo stays as drawn
        d.experiences = [(code, years, country) for code, years, country, _a in PERSONA_EXPERIENCES]
        d.appellations = {code: a for code, _y, _c, a in PERSONA_EXPERIENCES}
        d.wishes = list(PERSONA_WISHES)
        d.needs = dict(PERSONA_NEEDS)
    return d
