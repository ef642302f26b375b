"""Extract CBS's establishment counts per area and SBI group from a StatLine Kerncijfers export.

Reads ``../shared/data/cbs_kerncijfers_almere_2018-2025.csv`` (relative to the project root:
CBS StatLine "Kerncijfers wijken en buurten" for Almere, the yearly tables stacked) and writes
``almere_gis/datasets/data/cbs_vestigingen_almere.csv``: for every gemeente, wijk and buurt row
of the chosen years (default 2018-2021, the years whose buurt codes match the demo polygons;
CBS re-divided Almere on 1-1-2022), the peildatum, the level, the CBS code, the total number of
establishments and the count per CBS SBI group (``almere_gis.datasets.generate.cbs``).

The export's quirks, handled by the small reader below:

* semicolon-separated, UTF-8 with a byte-order mark, values padded with spaces;
* ``.`` or an empty cell is a secret or not (yet) published value: written as an empty cell;
* column names are StatLine's keys with a numeric suffix that changes from year to year
  (``BedrijfsvestigingenTotaal_91`` for 2018-2022, ``_100`` for 2023); a column is empty in
  the years it does not belong to. A figure is read from whichever column with its name part
  holds a value in that row; two filled columns for one figure stop the script.

Run from the project root::

    python scripts/extract_cbs_counts.py [--years 2018-2021]

Source: CBS, StatLine (CC BY 4.0).
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
from datetime import date
from pathlib import Path

from almere_gis._errors import InputError
from almere_gis.datasets.generate.cbs import CBS_SBI_GROUPS
from almere_gis.io.atomic import atomic_path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "cbs_kerncijfers_almere_2018-2025.csv"
TARGET = ROOT / "almere_gis" / "datasets" / "data" / "cbs_vestigingen_almere.csv"

TOTAL_STEM = "BedrijfsvestigingenTotaal"
LEVELS = {"Gemeente": "gemeente", "Wijk": "wijk", "Buurt": "buurt"}
MISSING = {"", "."}

log = logging.getLogger("almere_gis")


def _stem(column: str) -> str:
    """The stable part of a StatLine key: ``GIHandelEnHoreca_94`` -> ``GIHandelEnHoreca``."""
    return re.sub(r"_\d+$", "", column)


def _peildatum(text: str, where: str) -> date:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", text)
    if not match:
        raise InputError(where, f"peildatum {text!r} is not d-m-yyyy", "export the table again")
    day, month, year = (int(g) for g in match.groups())
    return date(year, month, day)


def _figure(row: dict[str, str], columns: list[str], where: str) -> int | None:
    """The one filled value among the columns of a figure, as an integer, or None."""
    filled = [(c, row[c].strip()) for c in columns if row[c].strip() not in MISSING]
    if len(filled) > 1:
        raise InputError(
            where,
            f"two columns hold the same figure: {', '.join(c for c, _ in filled)}",
            "keep one column per figure and year",
        )
    if not filled:
        return None
    column, value = filled[0]
    try:
        return int(value)
    except ValueError:
        raise InputError(
            where, f"{column} = {value!r} is not a whole number", "export the table again"
        ) from None


def read_counts(source: Path, years: range) -> list[dict[str, object]]:
    """One record per area and year: peildatum, level, code, total and the SBI groups."""
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        header = [c.strip() for c in reader.fieldnames or []]
        wanted = {TOTAL_STEM: "total"} | {g.stem: g.key for g in CBS_SBI_GROUPS}
        columns = {key: [c for c in header if _stem(c) == stem] for stem, key in wanted.items()}
        missing = [stem for stem, key in wanted.items() if not columns[key]]
        if missing or not {"Peildatum", "SoortRegio_2", "Codering_3"} <= set(header):
            raise InputError(
                source,
                f"not a Kerncijfers export with establishment counts (missing: {missing})",
                "download 'Kerncijfers wijken en buurten' from StatLine as CSV",
            )
        records = []
        for number, raw in enumerate(reader, start=1):
            row = {k.strip(): (v or "") for k, v in raw.items()}
            where = f"{source}, row {number}"
            day = _peildatum(row["Peildatum"].strip(), where)
            if day.year not in years:
                continue
            record: dict[str, object] = {
                "peildatum": day.isoformat(),
                "level": LEVELS[row["SoortRegio_2"].strip()],
                "code": row["Codering_3"].strip(),
            }
            for key, cols in columns.items():
                record[key] = _figure(row, cols, where)
            records.append(record)
    order = {level: i for i, level in enumerate(LEVELS.values())}
    records.sort(key=lambda r: (r["peildatum"], order[str(r["level"])], r["code"]))
    return records


def write(records: list[dict[str, object]], target: Path) -> None:
    """The tidy table as plain UTF-8 CSV, empty cells for missing values."""
    fields = ["peildatum", "level", "code", "total", *(g.key for g in CBS_SBI_GROUPS)]
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in record.items()})


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
