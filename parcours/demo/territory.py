"""The demo territory: Loire-Atlantique (44), its organisations of every SPIE kind and the
professionals whose logins are documented by `manage.py demo_logins`.

Names of organisations follow the real map of the département; the associations are invented.
Professionals are fictional people with fixed names so that the logins table stays stable.
"""

from dataclasses import dataclass, field

from parcours.organisations.enums import OrganisationKind, Role

DEPARTEMENT = "44"
# One shared password for every demo account (printed by `manage.py demo_logins`). The demo
# database is local and disposable; production logins go through ProConnect.
DEMO_PASSWORD = "Parcours-Demo-44"
EMAIL_DOMAIN = "parcours-demo.test"
SUPERUSER = "admin.plateforme"
# The login the smoke test and the documentation use for "a conseillère with a caseload".
MAIN_CONSEILLER = "sophie.martin"


@dataclass(frozen=True)
class OrgSpec:
    key: str
    kind: str
    name: str
    parent: str = ""
    # Where appointments with this organisation take place.
    place: str = ""
    # Programme operators are named by SIRET in the programme files (parcours/demo/data_programmes/).
    siret: str = ""


ORGANISATIONS: tuple[OrgSpec, ...] = (
    OrgSpec(
        "ft_nantes_nord",
        OrganisationKind.FRANCE_TRAVAIL,
        "France Travail Nantes Nord",
        place="Agence France Travail Nantes Nord, boulevard Einstein",
    ),
    OrgSpec(
        "ft_saint_nazaire",
        OrganisationKind.FRANCE_TRAVAIL,
        "France Travail Saint-Nazaire",
        place="Agence France Travail de Saint-Nazaire",
    ),
    OrgSpec(
        "ml_nantes",
        OrganisationKind.MISSION_LOCALE,
        "Mission locale Nantes Métropole",
        place="Mission locale, antenne Nantes centre",
    ),
    OrgSpec(
        "ml_saint_nazaire",
        OrganisationKind.MISSION_LOCALE,
        "Mission locale de l'agglomération nazairienne",
        place="Mission locale de Saint-Nazaire",
    ),
    OrgSpec("cap_emploi", OrganisationKind.CAP_EMPLOI, "Cap emploi 44", place="Cap emploi 44, Nantes"),
    OrgSpec("apec", OrganisationKind.APEC, "APEC Nantes", place="Centre APEC de Nantes"),
    OrgSpec(
        "cd44_orientation",
        OrganisationKind.CONSEIL_DEPARTEMENTAL,
        "Conseil départemental 44 — Direction de l'insertion (orientation)",
        place="Hôtel du Département, Nantes",
    ),
    OrgSpec(
        "cd44_rsa",
        OrganisationKind.CONSEIL_DEPARTEMENTAL,
        "Conseil départemental 44 — Équipe RSA de Nantes",
        parent="cd44_orientation",
        place="Espace départemental des solidarités, Nantes",
    ),
    OrgSpec("ccas_nantes", OrganisationKind.CCAS, "CCAS de Nantes", place="CCAS de Nantes, accueil de jour"),
    OrgSpec("caf", OrganisationKind.CAF, "CAF de Loire-Atlantique", place="CAF de Loire-Atlantique, Nantes"),
    OrgSpec(
        "ofii",
        OrganisationKind.OFII,
        "OFII — Direction territoriale de Nantes",
        place="OFII, direction territoriale de Nantes",
    ),
    OrgSpec(
        "asso_refugies",
        OrganisationKind.ASSOCIATION,
        "Passerelles Réfugiés 44 (accompagnement des BPI)",
        place="Passerelles Réfugiés 44, Nantes",
    ),
    OrgSpec(
        "asso_langues",
        OrganisationKind.ASSOCIATION,
        "Langues et Savoirs Nantes (cours de français)",
        place="Langues et Savoirs, Nantes Bellevue",
    ),
    OrgSpec(
        "afpa",
        OrganisationKind.ORGANISME_FORMATION,
        "AFPA Saint-Herblain",
        place="Centre AFPA de Saint-Herblain",
        siret="90440100000107",
    ),
    OrgSpec("ddets", OrganisationKind.DDETS, "DDETS de Loire-Atlantique", place="DDETS, Nantes"),
    # Operators and carriers of the demo programmes (parcours/demo/programmes.py): two more AFPA
    # centres for the HOPE-like sessions, the PLIE, the VAE support body, and the associations that
    # carry projects of the call for projects.
    OrgSpec(
        "afpa_saint_nazaire",
        OrganisationKind.ORGANISME_FORMATION,
        "AFPA Saint-Nazaire",
        place="Centre AFPA de Saint-Nazaire, Gron",
        siret="90440100000206",
    ),
    OrgSpec(
        "afpa_reze",
        OrganisationKind.ORGANISME_FORMATION,
        "AFPA Nantes-Rezé",
        place="Centre AFPA de Nantes-Rezé",
        siret="90440100000305",
    ),
    OrgSpec(
        "plie",
        OrganisationKind.ASSOCIATION,
        "PLIE de la métropole nantaise (association)",
        place="PLIE de la métropole nantaise, Nantes",
        siret="90440200000106",
    ),
    OrgSpec(
        "vae_body",
        OrganisationKind.ASSOCIATION,
        "Cap Acquis 44 (accompagnement VAE)",
        place="Cap Acquis 44, Nantes",
        siret="90440300000105",
    ),
    OrgSpec(
        "club_entreprises",
        OrganisationKind.ASSOCIATION,
        "Club des entreprises accueillantes 44",
        place="Club des entreprises accueillantes 44, Saint-Herblain",
    ),
    OrgSpec(
        "ateliers_savoir_faire",
        OrganisationKind.ASSOCIATION,
        "Ateliers des savoir-faire 44 (artisanat et arts)",
        place="Ateliers des savoir-faire 44, Nantes",
    ),
    OrgSpec(
        "mobil_elles",
        OrganisationKind.ASSOCIATION,
        "Mobil'Elles 44 (mobilité des femmes)",
        place="Mobil'Elles 44, Rezé",
    ),
)


@dataclass(frozen=True)
class ProSpec:
    username: str
    first_name: str
    last_name: str
    # (organisation key, role); several entries = several memberships (organisation switch).
    memberships: tuple[tuple[str, str], ...]
    what_to_try: str = ""
    # Share of the caseload of their organisation (a higher weight = a larger caseload).
    weight: int = 1
    territory_grant: bool = False
    extra: dict = field(default_factory=dict)


C, RSA, ORI, ENC, PIL, ADM = (
    Role.CONSEILLER,
    Role.REFERENT_RSA,
    Role.CHARGE_ORIENTATION,
    Role.ENCADRANT,
    Role.PILOTE,
    Role.ADMIN_STRUCTURE,
)

PROFESSIONALS: tuple[ProSpec, ...] = (
    ProSpec(
        "sophie.martin",
        "Sophie",
        "Martin",
        (("ft_nantes_nord", C),),
        "Portefeuille chargé : ouvrir un parcours de personne réfugiée, envoyer une prescription à Langues et Savoirs, "
        "traiter ses alertes (À traiter)",
        weight=4,
    ),
    ProSpec(
        "karim.benali",
        "Karim",
        "Benali",
        (("ft_nantes_nord", C),),
        "Parcours de seniors et de personnes en orientation professionnelle",
    ),
    ProSpec(
        "nathalie.robert",
        "Nathalie",
        "Robert",
        (("ft_nantes_nord", ENC),),
        "Encadrante d'équipe : membre de groupes de suivi, changement de référent",
    ),
    ProSpec(
        "julien.moreau",
        "Julien",
        "Moreau",
        (("ft_nantes_nord", ADM),),
        "Administrateur de structure : personnes suivies par l'agence (sans leur contenu) ; « Mes services » : déclarer un service, places libres, qualité",
    ),
    ProSpec(
        "elodie.garnier",
        "Élodie",
        "Garnier",
        (("ft_saint_nazaire", C),),
        "Conseillère à Saint-Nazaire : parcours du littoral, rendez-vous à venir",
        weight=2,
    ),
    ProSpec("thomas.leroux", "Thomas", "Leroux", (("ft_saint_nazaire", C),)),
    ProSpec(
        "lea.dubois",
        "Léa",
        "Dubois",
        (("ml_nantes", C),),
        "Jeunes de 16 à 25 ans (CEJ) : diagnostic, mobilité, premier emploi",
        weight=3,
    ),
    ProSpec("mehdi.haddad", "Mehdi", "Haddad", (("ml_nantes", C),)),
    ProSpec(
        "isabelle.fontaine",
        "Isabelle",
        "Fontaine",
        (("ml_nantes", ADM),),
        "Administratrice de la mission locale : réaffecter des référents",
    ),
    ProSpec("hugo.lambert", "Hugo", "Lambert", (("ml_saint_nazaire", C),)),
    ProSpec(
        "anne.perrin",
        "Anne",
        "Perrin",
        (("cap_emploi", C),),
        "Personnes avec RQTH : données de handicap visibles seulement avec consentement",
        weight=2,
    ),
    ProSpec("pierre.giraud", "Pierre", "Giraud", (("cap_emploi", C),)),
    ProSpec("marc.durand", "Marc", "Durand", (("apec", C),), "Cadres en transition professionnelle"),
    ProSpec(
        "helene.bernard",
        "Hélène",
        "Bernard",
        (("cd44_orientation", ORI),),
        "Chargée d'orientation (habilitation 44) : file des personnes en attente d'orientation, décider, désigner le référent",
        territory_grant=True,
    ),
    ProSpec(
        "vincent.roux",
        "Vincent",
        "Roux",
        (("cd44_orientation", ORI),),
        "Second chargé d'orientation habilité sur le 44",
        territory_grant=True,
    ),
    ProSpec(
        "fatima.ouali",
        "Fatima",
        "Ouali",
        (("cd44_rsa", RSA),),
        "Référente RSA : orientation sociale, santé (consentement), logement, mère isolée sans mode de garde",
        weight=3,
    ),
    ProSpec("olivier.petit", "Olivier", "Petit", (("cd44_rsa", RSA),)),
    ProSpec("sandrine.mercier", "Sandrine", "Mercier", (("cd44_rsa", ENC),), "Encadrante de l'équipe RSA"),
    ProSpec(
        "laurence.michel",
        "Laurence",
        "Michel",
        (("ccas_nantes", RSA),),
        "Travailleuse sociale du CCAS : domiciliation, accès aux droits",
    ),
    ProSpec("jerome.blanc", "Jérôme", "Blanc", (("ccas_nantes", RSA),)),
    ProSpec(
        "caroline.faure",
        "Caroline",
        "Faure",
        (("caf", RSA),),
        "Travailleuse sociale CAF : ouverture des droits RSA, parcours en attente d'orientation",
    ),
    ProSpec(
        "youssef.amrani",
        "Youssef",
        "Amrani",
        (("ofii", C),),
        "Agent OFII : contrat d'intégration républicaine (heures de français), passage vers l'emploi",
    ),
    ProSpec("marie.chevalier", "Marie", "Chevalier", (("ofii", C),)),
    ProSpec(
        "amina.diallo",
        "Amina",
        "Diallo",
        (("asso_refugies", C),),
        "Accompagnement de réfugiés : titre de séjour bientôt expiré, interprétariat",
        weight=2,
    ),
    ProSpec("paul.renaud", "Paul", "Renaud", (("asso_refugies", ENC),)),
    ProSpec(
        "ines.bouvier",
        "Inès",
        "Bouvier",
        (("asso_langues", C),),
        "Prescriptions reçues : accepter, démarrer, clôturer avec une issue ; niveaux CECRL",
    ),
    ProSpec(
        "david.lemaire",
        "David",
        "Lemaire",
        (("afpa", ENC),),
        "Coordinateur du programme HOPE à l'AFPA : sessions de Saint-Herblain (participant·es, candidatures, "
        "progression), VAE en cours (jury passé, jury à venir)",
    ),
    ProSpec(
        "emilie.rousseau",
        "Émilie",
        "Rousseau",
        (("afpa", C),),
        "Conseillère AFPA : sessions HOPE de Saint-Herblain, étapes et certifications des participant·es",
    ),
    ProSpec(
        "francois.gauthier",
        "François",
        "Gauthier",
        (("ddets", PIL),),
        "Pilote territorial (DDETS) : agrégats seulement, jamais une personne ; indicateurs du programme HOPE par "
        "cohorte (graphiques, export de publication), appel à projets BPI",
    ),
    ProSpec(
        "agnes.morel",
        "Agnès",
        "Morel",
        (("cd44_orientation", PIL),),
        "Pilote du département : indicateurs d'orientation et de ruptures",
    ),
    ProSpec(
        "camille.girard",
        "Camille",
        "Girard",
        (("asso_refugies", C), ("ml_nantes", C)),
        "Deux structures : changer d'organisation (Passerelles Réfugiés 44 ↔ Mission locale)",
    ),
    # The staff of the programme operators (parcours/demo/programmes.py).
    ProSpec(
        "gwenaelle.le-floch",
        "Gwenaëlle",
        "Le Floch",
        (("afpa_saint_nazaire", C),),
        "Conseillère au centre AFPA de Saint-Nazaire : sessions HOPE (soudure, mécanique, restauration), "
        "participant·es, étapes, sorties",
    ),
    ProSpec(
        "rachid.mansouri",
        "Rachid",
        "Mansouri",
        (("afpa_reze", C),),
        "Conseiller au centre AFPA de Nantes-Rezé : sessions HOPE restauration, propreté et aide à la personne "
        "(garde d'enfants proposée)",
    ),
    ProSpec(
        "claire.besnard",
        "Claire",
        "Besnard",
        (("plie", C),),
        "Accompagnatrice du PLIE : cohortes de Nantes Nord et de Rezé, étapes du parcours renforcé, sorties",
    ),
    ProSpec(
        "samuel.nguyen",
        "Samuel",
        "Nguyen",
        (("vae_body", C),),
        "Accompagnateur VAE (Cap Acquis 44) : une VAE à recevabilité déclarative en attente de décision",
    ),
)

# The organisation keys whose accompanying members may be referents, by profile need.
REFERENT_ORGS = {
    "rsa_professional": ("ft_nantes_nord", "ft_saint_nazaire"),
    "rsa_social": ("cd44_rsa", "cd44_rsa", "ccas_nantes", "caf"),  # the Département's team first
    "youth": ("ml_nantes", "ml_saint_nazaire"),
    "refugee": ("asso_refugies", "ft_nantes_nord", "ft_saint_nazaire"),
    "disability": ("cap_emploi",),
    "senior": ("ft_nantes_nord", "ft_saint_nazaire"),
    "executive": ("apec",),
}
