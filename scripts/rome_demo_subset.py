"""Extract the demo subset of a ROME 4.0 release (same file names and format as the full release).

    .venv/bin/python scripts/rome_demo_subset.py /path/to/rome-4.0-v460 parcours/occupations/data/rome-demo

Kept (deterministic: rows keep the publisher's order, nothing random):
- the sheets whose ROME code appears in the demo, the programmes' reference data and the tests
  (codes like "F1703" found in parcours/demo/, parcours/programmes/data/ and tests/), plus the codes
  of the former hand-written subset listed in SEED_CODES, and their mobility targets one step away;
- all their appellations, their links (liens_rome_referentiels, coherence_item), the competences and
  savoirs linked to them, the mobility links between kept sheets, their domains and RIASEC codes.
The files are copied byte for byte otherwise (UTF-8, comma, every field quoted); version.txt too.
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = [ROOT / "parcours" / "demo", ROOT / "parcours" / "programmes" / "data", ROOT / "tests"]
CODE = re.compile(r"\b[A-N][0-9]{4}\b")
# The 42 sheets of the former hand-written subset (parcours/occupations/data/rome_subset.csv).
SEED_CODES = (
    "A1203 A1414 D1106 D1211 D1214 D1505 D1507 F1603 F1604 F1606 F1701 F1702 F1703 G1603 G1605 G1602 "
    "H2909 H2913 H3302 I1304 J1301 J1501 K1302 K1303 K1304 K2204 K1801 N1103 N1105 N4101 N4105 M1203 "
    "M1602 M1607 M1805 E1101 I1604 H2102 A1101 K2111 G1803 D1212"
).split()


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def used_codes() -> set[str]:
    codes = set(SEED_CODES)
    for base in SCANNED:
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".json", ".csv", ".html", ".md"}:
                codes.update(CODE.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return codes


def main(source: Path, target: Path) -> None:
    files = {p.name: p for p in source.glob("unix_*_utf8.csv")}
    version = next(iter(files)).rsplit("_v", 1)[1].split("_")[0]

    def name(stem: str) -> str:
        return f"unix_{stem}_v{version}_utf8.csv"

    tables = {
        stem: read(source / name(stem))
        for stem in (
            "referentiel_code_rome",
            "referentiel_appellation",
            "referentiel_competence",
            "referentiel_savoir",
            "liens_rome_referentiels",
            "coherence_item",
            "rubrique_mobilite",
            "cr_gd_dp",
            "referentiel_code_rome_riasec",
            "domaine_professionnel",
            "grand_domaine",
        )
    }
    sheets = {row["code_rome"] for row in tables["referentiel_code_rome"][1]}
    seeds = used_codes() & sheets
    kept = set(seeds)
    for row in tables["rubrique_mobilite"][1]:
        if row["code_rome"] in seeds:
            kept.add(row["code_rome_cible"])
    links = [row for row in tables["liens_rome_referentiels"][1] if row["code_rome"] in kept]
    skills = {row["code_ogr"] for row in links if row["code_compo_bloc"] == "5"}
    domains = {row["code_domaine_professionel"] for row in tables["cr_gd_dp"][1] if row["code_rome"] in kept}
    grands = {code[:1] for code in domains}
    keep_rows = {
        "referentiel_code_rome": lambda r: r["code_rome"] in kept,
        "referentiel_appellation": lambda r: r["code_rome"] in kept,
        "referentiel_competence": lambda r: r["code_ogr"] in skills,
        "referentiel_savoir": lambda r: r["code_ogr_savoir"] in skills,
        "liens_rome_referentiels": lambda r: r["code_rome"] in kept,
        "coherence_item": lambda r: r["code_rome"] in kept,
        "rubrique_mobilite": lambda r: r["code_rome"] in kept and r["code_rome_cible"] in kept,
        "cr_gd_dp": lambda r: r["code_rome"] in kept,
        "referentiel_code_rome_riasec": lambda r: r["code_rome"] in kept,
        "domaine_professionnel": lambda r: r["code_domaine_professionnel"] in domains,
        "grand_domaine": lambda r: r["code_grand_domaine"] in grands,
    }
    target.mkdir(parents=True, exist_ok=True)
    for stem, (header, rows) in tables.items():
        write(target / name(stem), header, [row for row in rows if keep_rows[stem](row)])
    if (source / "version.txt").is_file():
        shutil.copyfile(source / "version.txt", target / "version.txt")
    print(
        f"{len(seeds)} fiches citées, {len(kept)} fiches gardées avec leurs mobilités, {len(skills)} compétences et savoirs."
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("Usage : rome_demo_subset.py <dossier de la version complète> <dossier de sortie>")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
