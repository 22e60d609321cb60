"""Where the workplace's shared referentials are: beside the checkout (../shared/data), or where
SHARED_DATA_DIR says (a clone elsewhere), or /work/shared/data."""

import os
from pathlib import Path

_CANDIDATES = [
    Path(os.environ["SHARED_DATA_DIR"]) if os.environ.get("SHARED_DATA_DIR") else None,
    Path(__file__).resolve().parents[1].parent / "shared" / "data",
    Path("/work/shared/data"),
]
SHARED_DATA = next((base for base in _CANDIDATES if base and base.is_dir()), Path("shared/data"))
ROME_DIR = SHARED_DATA / "rome-4.0-v460"
TENSION_FILE = SHARED_DATA / "tension" / "metiers_tension.csv"
