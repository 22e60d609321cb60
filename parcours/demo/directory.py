"""The demo territory's offer (offre d'insertion): a few hundred services of Loire-Atlantique in the
data·inclusion v1 shape, loaded through the same import engine as a national dump, then linked to
the demo organisations that operate them (capacity, languages, interpreting).

Every structure and service is invented; the communes, their coordinates and the vocabularies are
real. A handful of structures is published twice, by the demo's own source and by a second source
("dora-demo"), so that the duplicate review has something to show."""

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from parcours.territories import geo

# Main towns of the demo département with their INSEE codes (the communes file gives the coordinates).
TOWNS = {
    "44109": "Nantes",
    "44184": "Saint-Nazaire",
    "44143": "Rezé",
    "44162": "Saint-Herblain",
    "44114": "Orvault",
    "44215": "Vertou",
    "44026": "Carquefou",
    "44020": "Bouguenais",
    "44047": "Couëron",
    "44036": "Châteaubriant",
    "44003": "Ancenis",
    "44043": "Clisson",
    "44131": "Pornic",
    "44069": "Guérande",
    "44055": "La Baule-Escoublac",
    "44015": "Blain",
    "44087": "Machecoul-Saint-Même",
    "44195": "Savenay",
    "44110": "Nort-sur-Erdre",
    "44129": "Pontchâteau",
}
NANTES_METROPOLE = "244400404"
CARENE = "244400644"
METROPOLE_TOWNS = {"44109", "44143", "44162", "44114", "44215", "44026", "44020", "44047"}
CARENE_TOWNS = {"44184"}
STREETS = (
    "rue de la Paix",
    "boulevard Jean Jaurès",
    "rue Jules Verne",
    "place de la République",
    "rue du Général de Gaulle",
    "avenue de la Libération",
    "rue des Écoles",
    "rue Victor Hugo",
    "allée des Tilleuls",
    "rue de la Mairie",
    "quai de la Fosse",
    "rue Pasteur",
)


@dataclass(frozen=True)
class Offer:
    """A kind of service offered in many places."""

    nom: str
    type: str
    thematiques: tuple[str, ...]
    publics: tuple[str, ...]
    description: str
    modes_accueil: tuple[str, ...] = ("en-presentiel",)
    modes_mobilisation: tuple[str, ...] = ("telephoner", "envoyer-un-courriel")
    mobilisable_par: tuple[str, ...] = ("professionnels", "usagers")
    frais: str = "gratuit"
    volume: float | None = None
    semaines: int | None = None
    places: tuple[int, int] | None = None  # (min, max) total places when the service has sessions
    languages: tuple[str, ...] = ("fr",)
    interpreting: bool = False
    conditions: str = ""


OFFERS: dict[str, Offer] = {
    "francais": Offer(
        "Cours de français langue étrangère (FLE)",
        "formation",
        ("lecture-ecriture-calcul--maitriser-le-francais",),
        ("personnes-exilees", "demandeurs-emploi"),
        "Cours de français à l'oral et à l'écrit, par groupes de niveau (A1 à B1), pour les personnes "
        "arrivées en France qui veulent se débrouiller au quotidien, suivre une formation ou travailler. "
        "Un test de positionnement est proposé à l'entrée ; les cours ont lieu en petits groupes.",
        volume=6,
        semaines=12,
        places=(12, 20),
        languages=("fr", "ar", "en"),
    ),
    "alpha": Offer(
        "Atelier d'alphabétisation",
        "atelier",
        ("lecture-ecriture-calcul--maitriser-le-francais", "lecture-ecriture-calcul--maitriser-le-calcul"),
        ("personnes-exilees", "femmes"),
        "Apprendre à lire, écrire et compter en français pour les adultes peu ou pas scolarisés dans leur "
        "pays d'origine. Les séances avancent au rythme de chacun·e, avec des supports de la vie courante "
        "(courriers, horaires, achats) et une garderie pendant les cours du matin.",
        volume=4,
        semaines=20,
        places=(8, 12),
        languages=("fr", "ar", "ti"),
        interpreting=True,
    ),
    "hebergement": Offer(
        "Accompagnement à la recherche d'hébergement",
        "accompagnement",
        (
            "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
            "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
        ),
        ("personnes-en-situation-durgence", "personnes-exilees", "familles"),
        "Un travailleur social évalue la situation, oriente vers le 115 et le SIAO, constitue la demande "
        "de logement social et accompagne jusqu'à l'entrée dans les lieux. Rendez-vous sous une semaine, "
        "accueil sans rendez-vous le mardi matin.",
        languages=("fr", "en"),
        interpreting=True,
    ),
    "logement_refugies": Offer(
        "Accompagnement vers le logement des personnes réfugiées",
        "accompagnement",
        (
            "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
            "logement-hebergement--louer-un-logement",
            "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
        ),
        ("personnes-exilees",),
        "Pour les bénéficiaires d'une protection internationale : demande de logement social, dossier SIAO, "
        "recherche d'un logement en intermédiation locative ou en colocation, ouverture des droits (APL, "
        "FSL), visite et entrée dans les lieux. Entretiens en dari, pachto, arabe ou tigrigna avec un "
        "interprète ; places d'accompagnement suivies chaque mois.",
        mobilisable_par=("professionnels",),
        places=(10, 20),
        languages=("fr", "en", "ar", "prs", "ps", "ti"),
        interpreting=True,
        conditions="Statut de réfugié·e ou protection subsidiaire ; orientation par un professionnel.",
    ),
    "logement": Offer(
        "Permanence accès et maintien dans le logement",
        "information",
        ("logement-hebergement--louer-un-logement", "logement-hebergement--reduire-les-impayes-de-loyer"),
        ("tous-publics",),
        "Information sur les droits et devoirs des locataires, les aides au logement (APL, FSL), la "
        "prévention des expulsions et la médiation avec le bailleur en cas d'impayés de loyer. "
        "Permanence hebdomadaire avec un juriste et une conseillère en économie sociale et familiale.",
        modes_mobilisation=("se-presenter", "telephoner"),
    ),
    "garde": Offer(
        "Places de crèche à vocation d'insertion professionnelle (AVIP)",
        "aide-materielle",
        ("famille--garde-denfants",),
        ("familles", "demandeurs-emploi", "femmes"),
        "Places d'accueil pour les enfants de 0 à 3 ans réservées aux parents en recherche d'emploi ou en "
        "formation, pour leur laisser le temps d'un entretien, d'une formation ou d'une reprise d'emploi. "
        "L'accueil peut commencer en moins de deux semaines après l'accord de la commission.",
        frais="payant",
        places=(4, 10),
        conditions="Parent inscrit à France Travail ou en parcours d'insertion, enfant de moins de 3 ans.",
    ),
    "parentalite": Offer(
        "Lieu d'accueil enfants-parents",
        "atelier",
        ("famille--soutien-a-la-parentalite-et-a-leducation",),
        ("familles",),
        "Un espace de jeu et de parole pour les enfants de moins de 6 ans accompagnés d'un parent, animé "
        "par deux accueillantes formées. Anonyme, gratuit et sans inscription : on vient quand on veut, "
        "le temps qu'on veut, pour rencontrer d'autres parents.",
        modes_mobilisation=("se-presenter",),
        mobilisable_par=("usagers",),
        languages=("fr", "es"),
    ),
    "numerique": Offer(
        "Atelier numérique : premiers pas et démarches en ligne",
        "atelier",
        ("numerique--maitriser-les-fondamentaux-du-numerique", "numerique--acceder-a-des-services-en-ligne"),
        ("seniors", "personnes-exilees", "demandeurs-emploi"),
        "Ateliers collectifs pour apprendre à se servir d'un ordinateur ou d'un smartphone, créer une "
        "adresse e-mail, ouvrir son espace France Travail, CAF ou ameli et faire ses démarches en ligne "
        "en sécurité. Des postes informatiques sont mis à disposition pendant les séances.",
        volume=2,
        semaines=6,
        places=(6, 10),
        languages=("fr", "ar", "uk"),
    ),
    "equipement": Offer(
        "Ordinateurs reconditionnés à prix solidaire",
        "aide-materielle",
        ("numerique--acquerir-un-equipement", "numerique--acceder-a-une-connexion-internet"),
        ("beneficiaires-des-minimas-sociaux", "demandeurs-emploi"),
        "Vente d'ordinateurs portables reconditionnés à prix solidaire et accompagnement pour obtenir une "
        "connexion internet à tarif social. Sur prescription d'un professionnel de l'accompagnement, avec "
        "une prise en main d'une heure à la remise de l'équipement.",
        frais="payant",
        mobilisable_par=("professionnels",),
    ),
    "sante": Offer(
        "Permanence d'accès aux soins de santé (PASS)",
        "accompagnement",
        ("sante--acces-aux-soins",),
        ("personnes-exilees", "personnes-en-situation-durgence"),
        "Consultations médicales et sociales pour les personnes sans couverture maladie ou avec des droits "
        "incomplets : soins, médicaments, ouverture des droits à l'assurance maladie ou à l'aide médicale "
        "de l'État. Interprétariat professionnel par téléphone sur demande.",
        modes_mobilisation=("se-presenter", "telephoner"),
        languages=("fr", "en", "ar"),
        interpreting=True,
    ),
    "sante_mentale": Offer(
        "Consultation de soutien psychologique pour personnes exilées",
        "accompagnement",
        ("sante--sante-mentale",),
        ("personnes-exilees",),
        "Entretiens individuels avec un·e psychologue formé·e au psychotraumatisme, pour les personnes "
        "exilées ayant vécu des violences. Consultations avec interprète professionnel, orientation par un "
        "professionnel ou un médecin.",
        mobilisable_par=("professionnels",),
        places=(5, 12),
        languages=("fr", "en"),
        interpreting=True,
    ),
    "droits": Offer(
        "Accès aux droits et démarches administratives",
        "accompagnement",
        (
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        ),
        ("tous-publics",),
        "Aide à la constitution des dossiers (CAF, assurance maladie, retraite, titre de séjour, carte "
        "d'identité), explication des courriers administratifs et accompagnement sur rendez-vous avec un "
        "agent France services. Pièces à apporter précisées lors de la prise de rendez-vous.",
        modes_accueil=("en-presentiel", "a-distance"),
    ),
    "juridique": Offer(
        "Permanence juridique droit des étrangers",
        "information",
        (
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",
            "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
        ),
        ("personnes-exilees", "personnes-en-situation-juridique-specifique"),
        "Un juriste bénévole informe sur le droit au séjour, le regroupement familial, la naturalisation "
        "et les recours. Consultation gratuite et confidentielle, sur rendez-vous, avec un interprète "
        "bénévole pour les principales langues.",
        languages=("fr", "en", "ar", "ps", "fa"),
        interpreting=True,
    ),
    "budget": Offer(
        "Point conseil budget",
        "accompagnement",
        (
            "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
            "difficultes-financieres--situation-dendettement-surendettement",
        ),
        ("tous-publics",),
        "Conseils personnalisés pour faire le point sur son budget, prévenir ou traiter le surendettement, "
        "négocier un échéancier avec un créancier et constituer un dossier de surendettement auprès de la "
        "Banque de France. Entretiens confidentiels.",
        modes_accueil=("en-presentiel", "a-distance"),
    ),
    "alimentation": Offer(
        "Épicerie solidaire",
        "aide-materielle",
        ("equipement-et-alimentation--alimentation",),
        ("beneficiaires-des-minimas-sociaux", "familles", "personnes-en-situation-durgence"),
        "Produits alimentaires et d'hygiène à 10 à 30 % de leur prix, pour les ménages dont le reste à vivre "
        "est faible, sur orientation d'un travailleur social. Ateliers cuisine et budget chaque mois.",
        frais="payant",
        mobilisable_par=("professionnels",),
    ),
    "mobilite": Offer(
        "Plateforme mobilité : conseil et location de véhicules",
        "accompagnement",
        ("mobilite--etre-accompagne-dans-son-parcours-mobilite", "mobilite--acceder-a-un-vehicule"),
        ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux", "jeunes"),
        "Diagnostic mobilité, location de scooters et de voitures à 2 € par jour pour se rendre en "
        "formation ou au travail, apprentissage du vélo et des transports en commun. Sur prescription.",
        mobilisable_par=("professionnels",),
        places=(10, 25),
    ),
    "permis": Offer(
        "Auto-école sociale : permis B accompagné",
        "formation",
        ("mobilite--preparer-un-permis",),
        ("demandeurs-emploi", "jeunes", "personnes-exilees"),
        "Préparation au code et à la conduite avec une pédagogie adaptée aux personnes qui maîtrisent peu "
        "le français ou l'écrit, pour les personnes dont le projet professionnel nécessite le permis B.",
        frais="payant",
        volume=4,
        semaines=16,
        places=(6, 12),
        languages=("fr", "ar"),
    ),
    "emploi": Offer(
        "Club de recherche d'emploi",
        "atelier",
        (
            "trouver-un-emploi--repondre-a-des-offres-demploi",
            "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        ),
        ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux"),
        "Trois demi-journées par semaine en groupe pour rédiger son CV, préparer les entretiens par des "
        "simulations, cibler les entreprises qui recrutent et rencontrer des employeurs du territoire.",
        volume=9,
        semaines=4,
        places=(8, 14),
    ),
    "jeunes": Offer(
        "Accompagnement vers l'emploi des 16-25 ans",
        "accompagnement",
        (
            "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
            "trouver-un-emploi--repondre-a-des-offres-demploi",
        ),
        ("jeunes",),
        "Un conseiller unique accompagne le jeune dans son projet : orientation, stages de découverte, "
        "formation, emploi, logement et santé. Accès possible au Contrat d'engagement jeune avec une "
        "allocation selon les ressources.",
    ),
    "decouverte": Offer(
        "Découverte des métiers en tension (immersions)",
        "atelier",
        (
            "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
            "choisir-un-metier--connaitre-les-opportunites-demploi",
        ),
        ("demandeurs-emploi", "personnes-exilees"),
        "Visites d'entreprises et périodes de mise en situation en milieu professionnel dans le bâtiment, "
        "l'aide à la personne, la logistique et l'hôtellerie-restauration, avec un tuteur en entreprise.",
        volume=20,
        semaines=2,
        places=(8, 12),
    ),
    "formation": Offer(
        "Formation préqualifiante aux métiers du bâtiment",
        "formation",
        ("se-former--trouver-sa-formation",),
        ("demandeurs-emploi", "personnes-exilees", "jeunes"),
        "Quatre mois de remise à niveau, de français à visée professionnelle et de découverte des gestes du "
        "métier (maçonnerie, peinture, plomberie), avant l'entrée en formation qualifiante ou en contrat "
        "en alternance. Rémunération possible par la Région pendant la formation.",
        volume=35,
        semaines=16,
        places=(10, 16),
        conditions="Niveau de français A1 à l'oral au minimum.",
    ),
    "vae": Offer(
        "Information sur la validation des acquis de l'expérience (VAE)",
        "information",
        (
            "preparer-sa-candidature--valoriser-ses-competences",
            "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
        ),
        ("actifs", "demandeurs-emploi", "personnes-exilees"),
        "Réunion d'information puis entretien individuel pour savoir si son expérience, y compris acquise "
        "à l'étranger, peut être reconnue par un titre ou des blocs de compétences, et comment constituer "
        "le dossier de recevabilité.",
        modes_accueil=("en-presentiel", "a-distance"),
        languages=("fr", "en"),
    ),
    "lien_social": Offer(
        "Ateliers de convivialité et de sortie de l'isolement",
        "atelier",
        ("remobilisation--lien-social", "remobilisation--bien-etre-confiance-en-soi"),
        ("seniors", "femmes", "familles"),
        "Cafés-rencontres, sorties culturelles et ateliers cuisine du monde ouverts à toutes et tous, pour "
        "rompre l'isolement, pratiquer le français et reprendre confiance en soi.",
        modes_mobilisation=("se-presenter",),
        mobilisable_par=("usagers",),
        languages=("fr", "ar", "es", "pt"),
    ),
    "violences": Offer(
        "Accueil des femmes victimes de violences",
        "accompagnement",
        ("famille--surmonter-conflits-separation-violence",),
        ("femmes",),
        "Écoute, accompagnement juridique et social, mise à l'abri en urgence et groupes de parole pour "
        "les femmes victimes de violences conjugales ou intrafamiliales. Accueil confidentiel.",
        modes_accueil=("en-presentiel", "a-distance"),
        languages=("fr", "en", "ar"),
        interpreting=True,
    ),
}

# (key, name pattern, the offers each such structure runs, the towns where there is one, réseau porteur)
STRUCTURE_KINDS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "csc",
        "Centre socioculturel {town}",
        ("francais", "alpha", "numerique", "lien_social", "parentalite"),
        tuple(TOWNS),
        "",
    ),
    ("fs", "France services {town}", ("droits", "numerique", "budget", "vae"), tuple(TOWNS)[:16], "france-service"),
    ("epicerie", "Épicerie solidaire {town}", ("alimentation", "budget"), tuple(TOWNS)[:12], ""),
    ("creche", "Multi-accueil Les Petits Pas {town}", ("garde", "parentalite"), tuple(TOWNS)[:14], ""),
    (
        "mobilite",
        "Plateforme mobilité {town}",
        ("mobilite", "permis"),
        ("44109", "44184", "44036", "44003", "44131"),
        "",
    ),
    ("pass", "PASS de l'hôpital {town}", ("sante",), ("44109", "44184", "44036", "44003"), ""),
    ("clubs", "Atelier emploi {town}", ("emploi", "decouverte"), tuple(TOWNS)[:10], ""),
    ("juristes", "Accès au droit {town}", ("juridique", "droits"), ("44109", "44184", "44143", "44036"), ""),
    ("logement", "Maison de l'habitat {town}", ("logement", "hebergement"), tuple(TOWNS)[:12], ""),
    ("femmes", "Solidarité Femmes {town}", ("violences",), ("44109", "44184", "44036"), ""),
)

# Services added after the rest of the offer, with their own random stream (the rest stays as drawn):
# the refugees' association's housing accompaniment, which the "Pistes" persona is proposed
# (docs/demo.md), always with a few free places.
LATE_OPERATED: dict[str, tuple[str, ...]] = {"asso_refugies": ("logement_refugies",)}
LATE_MIN_FREE = 3
# Demo organisations (keys of parcours.demo.territory) that run services, with what they run.
OPERATED: dict[str, tuple[str, ...]] = {
    "asso_langues": ("francais", "alpha", "numerique"),
    "asso_refugies": ("hebergement", "juridique", "sante_mentale", "droits"),
    "ccas_nantes": ("hebergement", "alimentation", "budget", "droits"),
    "afpa": ("formation", "decouverte", "vae"),
    "ml_nantes": ("jeunes", "emploi", "mobilite"),
    "ml_saint_nazaire": ("jeunes", "emploi"),
    "cap_emploi": ("emploi", "vae"),
    "caf": ("droits", "parentalite", "logement"),
    "ft_nantes_nord": ("emploi", "decouverte", "vae"),
    "ft_saint_nazaire": ("emploi", "decouverte"),
}
ORG_TOWNS = {
    "asso_langues": "44109",
    "asso_refugies": "44109",
    "ccas_nantes": "44109",
    "afpa": "44162",
    "ml_nantes": "44109",
    "ml_saint_nazaire": "44184",
    "cap_emploi": "44109",
    "caf": "44109",
    "ft_nantes_nord": "44109",
    "ft_saint_nazaire": "44184",
}
SOURCE = "parcours-demo"
PARCOURS_SOURCE = "parcours"  # what organisations declare themselves
SECOND_SOURCE = "dora-demo"


def siret_for(rng: random.Random) -> str:
    """A 14-digit number with a valid control key (fictional establishments)."""
    stem = f"{rng.randint(1, 9)}{rng.randint(0, 10**12 - 1):012d}"
    return next(candidate for key in range(10) if geo.is_valid_siret(candidate := f"{stem}{key}"))


def _zone(rng: random.Random, insee: str) -> list[str]:
    roll = rng.random()
    if insee in METROPOLE_TOWNS and roll < 0.4:
        return [NANTES_METROPOLE]
    if insee in CARENE_TOWNS and roll < 0.4:
        return [CARENE]
    if roll < 0.75:
        return ["44"]
    return [insee]


def build_offer(
    *,
    communes: dict[str, tuple[float, float, str]],
    today: datetime.date,
    seed: int = 44,
    organisations: dict[str, tuple[int, str]] | None = None,
) -> dict:
    """The demo offer as data·inclusion v1 records plus what Parcours adds.

    `communes`: INSEE code -> (latitude, longitude, postcode); `organisations`: demo org key -> (pk, name),
    whose own structure follows the convention of services declared in Parcours ("parcours--org-<pk>").
    Returns {"structures": [...],
    "services": [...], "extras": {service id: {...Parcours fields..., "operator": org key}}}."""
    rng = random.Random(seed)
    structures: list[dict] = []
    services: list[dict] = []
    extras: dict[str, dict] = {}

    def place(insee: str) -> dict:
        latitude, longitude, postcode = communes[insee]
        return {
            "commune": TOWNS.get(insee, ""),
            "code_postal": postcode,
            "code_insee": insee,
            "adresse": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "latitude": round(latitude + rng.uniform(-0.012, 0.012), 6),
            "longitude": round(longitude + rng.uniform(-0.018, 0.018), 6),
        }

    def phone() -> str:
        return f"+332{rng.randint(40, 51)}{rng.randint(100000, 999999)}"

    def add_structure(sid: str, nom: str, insee: str, reseau: str, source: str = SOURCE) -> dict:
        slug = sid.split("--", 1)[1].replace("_", "-")
        record = {
            "source": source,
            "id": sid,
            "nom": nom,
            "date_maj": (today - datetime.timedelta(days=rng.randint(5, 300))).isoformat(),
            "description": f"{nom} accueille les habitants du territoire et les accompagne dans leurs démarches.",
            "siret": siret_for(rng),
            **place(insee),
            "telephone": phone(),
            "courriel": f"contact@{slug}.parcours-demo.fr",
            "site_web": f"https://{slug}.parcours-demo.fr/",
            "horaires_accueil": rng.choice(
                ("Mo-Fr 09:00-12:30,13:30-17:00", "Mo-Th 09:00-17:00; Fr 09:00-12:00", "Tu,Th 14:00-18:00")
            ),
            "reseaux_porteurs": [reseau] if reseau else None,
        }
        structures.append(record)
        return record

    def add_service(structure: dict, key: str, index: int, operator: str = "") -> None:
        offer = OFFERS[key]
        sid = f"{structure['id']}--{key}-{index}"
        # About one service in six has not been updated for more than six months: the "to update" flag.
        stale = rng.random() < 0.16
        age = rng.randint(190, 500) if stale else rng.randint(1, 170)
        record = {
            "source": structure["source"],
            "structure_id": structure["id"],
            "id": sid,
            "nom": offer.nom,
            "description": offer.description,
            "date_maj": (today - datetime.timedelta(days=age)).isoformat(),
            "type": offer.type,
            "thematiques": list(offer.thematiques),
            "frais": offer.frais,
            "frais_precisions": "Participation selon le quotient familial." if offer.frais == "payant" else None,
            "publics": list(offer.publics),
            "conditions_acces": offer.conditions or None,
            "commune": structure["commune"],
            "code_postal": structure["code_postal"],
            "code_insee": structure["code_insee"],
            "adresse": structure["adresse"],
            "latitude": structure["latitude"],
            "longitude": structure["longitude"],
            "telephone": structure["telephone"] if rng.random() < 0.9 else None,
            "courriel": structure["courriel"],
            "modes_accueil": list(offer.modes_accueil),
            "zone_eligibilite": _zone(rng, structure["code_insee"]),
            "contact_nom_prenom": rng.choice(
                ("Claire Dubois", "Yacine Haddad", "Marie Le Goff", "Thomas Perrin", "Awa Cissé")
            ),
            "modes_mobilisation": list(offer.modes_mobilisation),
            "mobilisable_par": list(offer.mobilisable_par),
            "volume_horaire_hebdomadaire": offer.volume,
            "nombre_semaines": offer.semaines,
        }
        services.append(record)
        extra: dict = {"languages": list(offer.languages), "interpreting": offer.interpreting, "operator": operator}
        if offer.places:
            total = rng.randint(*offer.places)
            free = max(0, total - rng.randint(0, total + 3))
            starts = today + datetime.timedelta(days=rng.randint(7, 40))
            extra.update(
                places_total=total,
                places_free=free,
                waiting_days=0 if free else rng.randint(10, 60),
                next_sessions=[
                    starts.isoformat(),
                    (starts + datetime.timedelta(days=rng.choice((28, 42, 56)))).isoformat(),
                ],
            )
        extras[sid] = extra

    for kind, pattern, offer_keys, towns, reseau in STRUCTURE_KINDS:
        for insee in towns:
            structure = add_structure(f"{SOURCE}--{kind}-{insee}", pattern.format(town=TOWNS[insee]), insee, reseau)
            for index, key in enumerate(offer_keys):
                if rng.random() < 0.97:
                    add_service(structure, key, index)
    for org_key, offer_keys in OPERATED.items():
        if organisations is None:
            structure = add_structure(f"{SOURCE}--org-{org_key}", f"Structure {org_key}", ORG_TOWNS[org_key], "")
        else:
            pk, name = organisations[org_key]
            structure = add_structure(f"parcours--org-{pk}", name, ORG_TOWNS[org_key], "", source=PARCOURS_SOURCE)
        structure["_organisation"] = org_key
        for index, key in enumerate(offer_keys):
            add_service(structure, key, index, operator=org_key)
    # A second source publishes a few of the same structures (same SIRET, names written differently).
    for original in rng.sample(structures[:60], 6):
        copy = dict(original, source=SECOND_SOURCE, id=f"{SECOND_SOURCE}--{original['id'].split('--', 1)[1]}")
        copy["nom"] = original["nom"].upper() if rng.random() < 0.5 else f"Association {original['nom']}"
        copy.pop("_organisation", None)
        structures.append(copy)
    rng = random.Random(f"{seed}/late")
    operated = {s["_organisation"]: s for s in structures if s.get("_organisation")}
    for org_key, offer_keys in LATE_OPERATED.items():
        structure = operated[org_key]
        for index, key in enumerate(offer_keys, start=len(OPERATED.get(org_key, ()))):
            add_service(structure, key, index, operator=org_key)
            extra = extras[f"{structure['id']}--{key}-{index}"]
            extra.update(places_free=max(LATE_MIN_FREE, extra["places_free"]), waiting_days=0)
            services[-1]["date_maj"] = (today - datetime.timedelta(days=rng.randint(5, 40))).isoformat()
    return {"structures": structures, "services": services, "extras": extras}


def load_offer(*, organisations: dict, seed: int = 44) -> dict:
    """Import the demo offer with the import engine and link it to the demo organisations.
    `organisations`: demo org key -> Organisation. Returns counts."""
    from parcours.directory import records
    from parcours.directory.duplicates import detect_duplicates
    from parcours.directory.importing import import_records
    from parcours.directory.models import Service, Structure
    from parcours.territories.models import Commune

    communes = {
        code: (lat, lon, (postcodes or [""])[0])
        for code, lat, lon, postcodes in Commune.objects.filter(insee_code__in=list(TOWNS)).values_list(
            "insee_code", "latitude", "longitude", "postcodes"
        )
    }
    offer = build_offer(
        communes=communes,
        today=timezone.localdate(),
        seed=seed,
        organisations={key: (org.pk, org.name) for key, org in organisations.items()},
    )
    org_of = {s["id"]: s.pop("_organisation") for s in offer["structures"] if "_organisation" in s}
    for kind in ("structures", "services"):
        for source in (PARCOURS_SOURCE, SOURCE, SECOND_SOURCE):
            batch = [record for record in offer[kind] if record["source"] == source]
            if batch:
                run = import_records(batch, kind=kind, source=source)
                if run.rejected_count:
                    raise ValueError(f"Démo : {run.rejected_count} {kind} rejetés à l'import ({source})")
    for sid, key in org_of.items():
        Structure.objects.filter(source=PARCOURS_SOURCE, source_id=sid).update(organisation=organisations[key])
    by_id = {
        s.source_id: s for s in Service.objects.filter(source__in=(SOURCE, PARCOURS_SOURCE)).select_related("structure")
    }
    now = timezone.now()
    changed = []
    for sid, extra in offer["extras"].items():
        service = by_id[sid]
        operator = extra.pop("operator")
        service.operator = organisations[operator] if operator else None
        for name, value in extra.items():
            setattr(service, name, value)
        if "places_total" in extra:
            service.capacity_updated_at = now
        records.refresh_search_fields(service, service.structure)
        changed.append(service)
    Service.objects.bulk_update(
        changed,
        [
            "operator",
            "languages",
            "interpreting",
            "places_total",
            "places_free",
            "waiting_days",
            "next_sessions",
            "capacity_updated_at",
            "remote",
            "facets",
        ],
        batch_size=500,
    )
    flagged = detect_duplicates()
    return {"structures": len(offer["structures"]), "services": len(offer["services"]), "duplicates": flagged}
