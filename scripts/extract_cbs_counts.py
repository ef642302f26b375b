"""Extract CBS's establishment counts per area and SBI group from a StatLine Kerncijfers export.

Reads ``../shared/data/cbs_kerncijfers_almere_2018-2025.csv`` (relative to the project root:
CBS StatLine "Kerncijfers wijken en buurten" for Almere, the yearly tables stacked) and writes
``almere_gis/datasets/data/cbs_vestigingen_almere.csv``: for every gemeente, wijk and buurt row
of the chosen years (default 2018-2021, the years whose buurt codes match the demo polygons;
CBS re-divided Almere on 1-1-2022), the peildatum, the level, the CBS code, the total number of
establishments and the count per CBS SBI group (``almere_gis.datasets.generate.cbs``).

The export's quirks (suffixes per year, ``.`` for secret, space padding) are handled by
:func:`almere_gis.io.read_kerncijfers`, the package's loader for any Kerncijfers export.

Run from the project root::

    python scripts/extract_cbs_counts.py [--years 2018-2021]

Source: CBS, StatLine (CC BY 4.0).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from almere_gis.datasets.generate.cbs import CBS_SBI_GROUPS
from almere_gis.io import read_kerncijfers
from almere_gis.io.atomic import atomic_path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "cbs_kerncijfers_almere_2018-2025.csv"
TARGET = ROOT / "almere_gis" / "datasets" / "data" / "cbs_vestigingen_almere.csv"

log = logging.getLogger("almere_gis")


def read_counts(source: Path, years: range) -> pd.DataFrame:
    """One row per area and year: peildatum, level, code, total and the SBI groups."""
    frame = read_kerncijfers(source, years=years)
    keys = [g.key for g in CBS_SBI_GROUPS]
    table = frame.rename(columns={"n_establishments": "total"})
    table = table[["peildatum", "level", "code", "total", *keys]]
    table["peildatum"] = table["peildatum"].dt.strftime("%Y-%m-%d")
    return table.astype({k: "Int64" for k in ["total", *keys]})


def write(records: pd.DataFrame, target: Path) -> None:
    """The tidy table as plain UTF-8 CSV, empty cells for missing values."""
    with atomic_path(target) as tmp:
        records.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")


def _years(text: str) -> range:
    lo, _, hi = text.partition("-")
    return range(int(lo), int(hi or lo) + 1)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--target", type=Path, default=TARGET)
    parser.add_argument("--years", type=_years, default=_years("2018-2021"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = read_counts(args.source, args.years)
    write(records, args.target)
    log.info("wrote %d rows to %s", len(records), args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
