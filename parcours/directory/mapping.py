"""From a need of the diagnostic socio-professionnel to the data·inclusion thématiques that answer
it, to pre-fill a search from a pathway. Pure. Every code is a value of the schema package's
Thematique vocabulary (a test checks it against the package)."""

from collections.abc import Iterable, Mapping

from parcours.diagnostics.enums import Theme

THEME_THEMATIQUES: dict[str, tuple[str, ...]] = {
    Theme.EMPLOI: (
        "choisir-un-metier--connaitre-les-opportunites-demploi",
        "preparer-sa-candidature--developper-son-reseau",
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
        "preparer-sa-candidature--valoriser-ses-competences",
        "trouver-un-emploi--convaincre-un-recruteur-en-entretien",
        "trouver-un-emploi--faire-des-candidatures-spontanees",
        "trouver-un-emploi--repondre-a-des-offres-demploi",
        "trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs",
    ),
    Theme.FORMATION: (
        "se-former--monter-son-dossier-de-formation",
        "se-former--trouver-sa-formation",
        "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
    ),
    Theme.LOGEMENT: (
        "logement-hebergement--changer-de-logement",
        "logement-hebergement--louer-un-logement",
        "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
        "logement-hebergement--reduire-les-impayes-de-loyer",
        "logement-hebergement--se-maintenir-dans-le-logement",
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    ),
    Theme.SANTE: (
        "sante--acces-aux-soins",
        "sante--addictions",
        "sante--constituer-un-dossier-mdph-invalidite",
        "sante--sante-mentale",
        "sante--sante-sexuelle",
    ),
    Theme.MOBILITE: (
        "mobilite--acceder-a-un-vehicule",
        "mobilite--entretenir-reparer-son-vehicule",
        "mobilite--etre-accompagne-dans-son-parcours-mobilite",
        "mobilite--financer-ma-mobilite",
        "mobilite--preparer-un-permis",
        "mobilite--mobilite-douce-partagee-collective",
    ),
    Theme.CONTRAINTES_FAMILIALES: (
        "famille--garde-denfants",
        "famille--prise-en-charge-personne-dependante",
        "famille--soutien-a-la-parentalite-et-a-leducation",
        "famille--soutien-aidants",
        "famille--surmonter-conflits-separation-violence",
    ),
    Theme.DIFFICULTES_ADMINISTRATIVES: (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",
        "difficultes-administratives-ou-juridiques--beneficier-dune-mesure-daccompagnement-adapte",
        "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
        "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
    ),
    Theme.DIFFICULTES_FINANCIERES: (
        "difficultes-financieres--acquerir-une-autonomie-budgetaire",
        "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
        "difficultes-financieres--mettre-en-place-une-mesure-de-protection-financiere",
        "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
        "difficultes-financieres--situation-dendettement-surendettement",
        "equipement-et-alimentation--alimentation",
    ),
    # French as a foreign language and literacy are both "lecture-ecriture-calcul" in data·inclusion.
    Theme.MAITRISE_LANGUE: ("lecture-ecriture-calcul--maitriser-le-francais",),
    Theme.NUMERIQUE: (
        "numerique--acceder-a-des-services-en-ligne",
        "numerique--acceder-a-une-connexion-internet",
        "numerique--acquerir-un-equipement",
        "numerique--maitriser-les-fondamentaux-du-numerique",
    ),
}


def thematiques_for_themes(
    themes: Iterable[str], mapping: Mapping[str, Iterable[str]] = THEME_THEMATIQUES
) -> list[str]:
    """The thématiques answering these diagnostic themes, without duplicates, in the order given.
    `mapping` is the editable table in use (parcours.matching.selectors.theme_mapping); these
    defaults only seed it."""
    codes: list[str] = []
    for theme in themes:
        for code in mapping.get(theme, ()):
            if code not in codes:
                codes.append(code)
    return codes
