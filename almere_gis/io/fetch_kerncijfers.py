"""Download CBS's "Kerncijfers wijken en buurten" of one gemeente and year from CBS's OData API.

CBS publishes every year's Kerncijfers as one StatLine table (``85984NED`` for 2024) in its
open OData v3 API, ``https://opendata.cbs.nl/ODataApi/OData/<table>``. Its ``TypedDataSet``
holds one row per gemeente, wijk and buurt of the Netherlands, with the same column keys as a
StatLine CSV export (``WijkenEnBuurten``, ``SoortRegio_2``, ``Codering_3``,
``BedrijfsvestigingenTotaal_95``, ...); :func:`fetch_kerncijfers` asks only for the rows of one
gemeente (``$filter`` on ``WijkenEnBuurten``), follows ``odata.nextLink`` while CBS pages the
answer, and writes them as a StatLine-style CSV (semicolon-separated, UTF-8 with BOM, ``.``
for a missing value, a ``Peildatum`` column of 1 January of the year) that
:func:`almere_gis.io.kerncijfers.read_kerncijfers` reads like a download from StatLine.

Requests, retries and their messages are those of :mod:`almere_gis.io.fetch`; the CSV is
written to a temporary file beside the target and moved into place only when complete.
"""

from __future__ import annotations

__all__ = [
    "KERNCIJFERS_TABLES",
    "ODATA_BASE_URL",
    "default_kerncijfers_path",
    "fetch_kerncijfers",
]

import logging
import os
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import FetchError, InputError
from .atomic import atomic_path
from .fetch import DEFAULT_YEAR, _check_year, _Client, _normalise_gemeente
from .kerncijfers import kerncijfers_frame

log = logging.getLogger("almere_gis")

ODATA_BASE_URL = "https://opendata.cbs.nl/ODataApi/OData"
KERNCIJFERS_TABLES: dict[int, str] = {
    2018: "84286NED",
    2019: "84583NED",
    2020: "84799NED",
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
}
"""StatLine table of the Kerncijfers wijken en buurten per year (peildatum 1 January)."""
_MAX_PAGES = 1000
_BY_HAND = (
    "download 'Kerncijfers wijken en buurten' from CBS StatLine as CSV and read it with "
    "read_kerncijfers"
)


def default_kerncijfers_path(gemeente: str = "GM0034", year: int = DEFAULT_YEAR) -> Path:
    """Where :func:`fetch_kerncijfers` writes when no ``out_path`` is given (relative to the cwd).

    Examples
    --------
    >>> default_kerncijfers_path("34", 2024).as_posix()
    'data/cbs_kerncijfers_2024_GM0034.csv'
    """
    return Path("data") / f"cbs_kerncijfers_{year}_{_normalise_gemeente(gemeente)}.csv"


def _first_url(base: str, table: str, code: str) -> str:
    digits = code[2:]
    wanted = " or ".join(
        f"startswith(WijkenEnBuurten,'{prefix}{digits}')" for prefix in ("GM", "WK", "BU")
    )
    query = urllib.parse.urlencode({"$filter": wanted, "$format": "json"}, safe="$(),'")
    return f"{base}/{table}/TypedDataSet?{query}"


def _rows(client: _Client, url: str) -> list[dict[str, Any]]:
    """Every row of an OData answer, following ``odata.nextLink``."""
    rows: list[dict[str, Any]] = []
    seen = set()
    for _ in range(_MAX_PAGES):
        data = client.get_json(url).data
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise FetchError(
                f"CBS sent no OData rows for {url} (no 'value' list). Fix: try again later, "
                f"or {_BY_HAND}",
                url=url,
            )
        rows.extend(r for r in data["value"] if isinstance(r, dict))
        seen.add(url)
        link = data.get("odata.nextLink")
        if not link:
            return rows
        url = urllib.parse.urljoin(url, str(link))
        if url in seen:
            raise FetchError(f"CBS sent the same next page twice ({url})", url=url)
    raise FetchError(f"CBS kept sending next pages after {_MAX_PAGES} ({url})", url=url)


def _as_export(rows: list[dict[str, Any]], year: int) -> pd.DataFrame:
    """The OData rows as a StatLine CSV export: text cells, ``.`` for missing, a peildatum."""
    frame = pd.DataFrame(rows)
    frame.insert(1 if "ID" in frame else 0, "Peildatum", f"1-1-{year}")
    return frame.astype("object").where(frame.notna(), ".").astype(str)


def fetch_kerncijfers(
    gemeente: str = "GM0034",
    year: int = DEFAULT_YEAR,
    out_path: str | os.PathLike[str] | None = None,
    *,
    table: str | None = None,
    base_url: str = ODATA_BASE_URL,
    timeout_s: float = 60.0,
    retries: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download one gemeente's Kerncijfers wijken en buurten of one year as a StatLine CSV.

    Parameters
    ----------
    gemeente : str
        CBS gemeente code, ``"GM0034"`` (Almere); ``"34"`` and ``"0034"`` are accepted too.
    year : int
        Peildatum year; the table comes from :data:`KERNCIJFERS_TABLES` unless ``table``.
    out_path : path, optional
        CSV to write (replaced if it exists). Default :func:`default_kerncijfers_path`.
    table : str, optional
        StatLine table id, for a year not (yet) in :data:`KERNCIJFERS_TABLES`.
    base_url : str
        The OData root; tests point this at a local server.
    timeout_s, retries, backoff_s, sleep
        As for :func:`almere_gis.io.fetch.fetch_cbs`.

    Returns
    -------
    Path
        The CSV written; :func:`almere_gis.io.read_kerncijfers` reads it.

    Raises
    ------
    FetchError
        CBS cannot be reached, answers with an error status, or keeps sending broken
        responses. Nothing is written then.
    InputError
        The gemeente code or year is malformed, no table is known for the year, or CBS has
        no rows (or no establishment counts) for the gemeente in that table.
    """
    code = _normalise_gemeente(gemeente)
    year = _check_year(year)
    table_id = table or KERNCIJFERS_TABLES.get(year)
    if table_id is None:
        known = ", ".join(f"{y} {t}" for y, t in KERNCIJFERS_TABLES.items())
        raise InputError(
            f"year {year}",
            f"no Kerncijfers table known for this year (known: {known})",
            "give the StatLine table id with table=... (see opendata.cbs.nl)",
        )
    out = Path(out_path) if out_path is not None else default_kerncijfers_path(code, year)
    client = _Client(
        timeout_s=timeout_s, retries=max(0, int(retries)), backoff_s=backoff_s, sleep=sleep,
        service="CBS", by_hand=_BY_HAND,
    )  # fmt: skip
    rows = _rows(client, _first_url(base_url.rstrip("/"), table_id, code))
    if not rows:
        raise InputError(
            f"gemeente {code}",
            f"CBS table {table_id} (Kerncijfers {year}) has no rows for this gemeente",
            "check the code (Almere is GM0034) and whether the gemeente existed in that year",
        )
    export = _as_export(rows, year)
    kerncijfers_frame(export, source=f"CBS table {table_id}")  # refuse what the reader would
    with atomic_path(out) as tmp:
        export.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\n")
    log.info("Wrote %d rows of %s (CBS table %s, %d) to %s", len(export), code, table_id, year, out)
    return out
