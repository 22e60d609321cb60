"""Load every reference dataset the platform needs (idempotent): régions, départements, the communes
of the demo département and their EPCI, the ROME 4.0 demo subset (and its recruitment tensions), the diagnostic nomenclature, the VAE routes and target certifications."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from parcours.diagnostics.enums import Theme
from parcours.diagnostics.models import Situation
from parcours.matching.defaults import seed_theme_thematiques
from parcours.occupations.models import TensionImport
from parcours.occupations.rome_import import ReleaseError, current_release, import_release, release_version
from parcours.occupations.tension_import import import_tension_file
from parcours.territories.importers import import_epci, import_regions, parse_epci, read_lines
from parcours.territories.models import Commune, Departement

ROOT = Path(__file__).resolve().parents[3]


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        raise CommandError(f"Fichier de référence introuvable : {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Command(BaseCommand):
    help = (
        "Charge les référentiels (régions, départements, communes et EPCI du département de démonstration, "
        "sous-ensemble ROME 4.0 de démonstration et tensions de recrutement, nomenclature du diagnostic, voies et certifications VAE)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        regions = import_regions(ROOT / "territories" / "data" / "regions.csv")
        deps = read_csv(ROOT / "territories" / "data" / "departements.csv")
        for row in deps:
            Departement.objects.update_or_create(
                code=row["code"], defaults={"name": row["name"], "region_code": row["region_code"]}
            )
        communes = read_csv(ROOT / "territories" / "data" / "communes_demo_44.csv")
        existing = set(Commune.objects.values_list("insee_code", flat=True))
        to_create: list[Commune] = []
        to_update: list[Commune] = []
        for row in communes:
            commune = Commune(
                insee_code=row["insee_code"],
                name=row["name"],
                departement_id=row["departement"],
                postcodes=row["postcodes"].split(),
                latitude=float(row["latitude"]) if row["latitude"] else None,
                longitude=float(row["longitude"]) if row["longitude"] else None,
            )
            (to_update if commune.insee_code in existing else to_create).append(commune)
        Commune.objects.bulk_create(to_create)
        Commune.objects.bulk_update(to_update, ["name", "departement", "postcodes", "latitude", "longitude"])
        epci_path = ROOT / "territories" / "data" / "epci_demo_44.csv"
        if not epci_path.exists():
            raise CommandError(f"Fichier de référence introuvable : {epci_path}")
        memberships, errors = parse_epci(read_lines(epci_path))
        if errors:
            raise CommandError("Fichier des EPCI de démonstration invalide : " + " ".join(errors))
        import_epci(memberships)
        epcis = len({row["epci"] for row in memberships.values() if row["epci"]})
        rome = self.load_rome()
        situations = read_csv(ROOT / "diagnostics" / "data" / "situations.csv")
        for position, row in enumerate(situations):
            if row["theme"] not in Theme.values:
                raise CommandError(f"Thème inconnu dans la nomenclature : {row['theme']} ({row['code']})")
            # Existing situations keep an administrator's edits of label or activation.
            Situation.objects.get_or_create(
                code=row["code"], defaults={"theme": row["theme"], "label": row["label"], "position": position}
            )
        # VAE recognition routes and target certifications (after the ROME jobs they point to).
        from parcours.programmes.services_vae import vae_reference_load

        vae_reference_load()
        # The theme → thématique mapping of the recommendations, when nobody has any row yet.
        seed_theme_thematiques(only_if_empty=True)
        self.stdout.write(
            f"Référentiels chargés : {regions} régions, {len(deps)} départements, {len(communes)} communes, {epcis} EPCI, "
            f"{rome} fiches ROME, {len(situations)} situations."
        )

    def load_rome(self) -> int:
        """The demo subset of the ROME 4.0 release (same files as France Travail's release), then the
        demo recruitment tensions. Quick when already done: the subset is imported only when no
        release is in service or when the one in service is an older demo subset; a release
        imported from France Travail's files (`manage.py rome_import`) is never replaced by it."""
        directory = ROOT / "occupations" / "data" / "rome-demo"
        current = current_release()
        imported = False
        if current is None or (
            Path(current.source).name == directory.name and current.version != release_version(directory)
        ):
            try:
                current = import_release(directory)
            except ReleaseError as exc:
                raise CommandError("Sous-ensemble ROME de démonstration refusé :\n" + "\n".join(exc.messages)) from None
            imported = True
        if imported or not TensionImport.objects.filter(is_current=True).exists():
            import_tension_file(ROOT / "occupations" / "data" / "tension_demo.csv")
        return current.counts.get("sheets", 0)
