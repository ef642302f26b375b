"""Download the official CBS wijk and buurt polygons, with their kerncijfers, from PDOK.

PDOK publishes the CBS Wijk- en Buurtkaart as one OGC API Features service per year,
``https://api.pdok.nl/cbs/wijken-en-buurten-<year>/ogc/v1``, with the collections ``gemeenten``,
``wijken`` and ``buurten``. Items come as GeoJSON FeatureCollections of at most ``limit`` features
(PDOK allows 1000), with ``numberMatched``/``numberReturned`` and a ``next`` link to the following
page. :func:`fetch_cbs` pages through the wijken and buurten of one gemeente, requests them in
RD New (EPSG:28992) when the service offers it (and reprojects otherwise), and writes one
GeoPackage with the layers ``buurten`` and ``wijken`` that keeps CBS's own column names, so the
loaders read it like a downloaded Wijk- en Buurtkaart.

Networking uses the standard library only. Connection errors, time-outs, HTTP 408/429/5xx and
truncated or invalid JSON are retried with exponential backoff; any other error status fails at
once with the server's explanation. The GeoPackage is written to a temporary file next to the
target and moved into place only when complete, so a failed or interrupted download never leaves
a partial file behind.
"""

from __future__ import annotations

__all__ = [
    "CRS84_URI",
    "CRS_RD_URI",
    "DEFAULT_BASE_URL",
    "DEFAULT_YEAR",
    "LAYERS",
    "PDOK_DATASET_PAGE",
    "default_out_path",
    "fetch_cbs",
]

import contextlib
import http.client
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd

from .._errors import FetchError, InputError
from .._schema import CRS_RD

log = logging.getLogger("almere_gis")

DEFAULT_BASE_URL = "https://api.pdok.nl/cbs/wijken-en-buurten-{year}/ogc/v1"
# The most recent year whose kerncijfers were largely filled in when this was written; CBS adds
# figures to a year's file for about two years after its first release.
DEFAULT_YEAR = 2024
PDOK_DATASET_PAGE = "https://www.pdok.nl/ogc-apis/-/article/cbs-wijken-en-buurten"
CRS_RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# GeoPackage layers written, in this order; each is a PDOK collection of the same name.
LAYERS: tuple[str, ...] = ("buurten", "wijken")
_GEMEENTEN = "gemeenten"
_PAGE_SIZE = 1000  # PDOK's maximum ``limit``
_MAX_PAGES = 10_000  # a guard against a server that keeps sending ``next`` links
_MAX_BACKOFF_S = 60.0
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_GEMEENTE_RE = re.compile(r"^(?:GM)?(\d{1,4})$", re.IGNORECASE)
# Property names that carry the gemeente code, in the new and the old CBS schema, and the area
# codes whose characters 2..5 are the gemeente digits (BU00340101, WK003401).
_GEMEENTE_KEYS = ("gemeentecode", "GM_CODE", "gm_code")
_AREA_CODE_KEYS = ("buurtcode", "wijkcode", "BU_CODE", "WK_CODE", "bu_code", "wk_code")


def default_out_path(gemeente: str = "GM0034", year: int = DEFAULT_YEAR) -> Path:
    """Where :func:`fetch_cbs` writes when no ``out_path`` is given (relative to the cwd).

    Examples
    --------
    >>> default_out_path("GM0034", 2024).as_posix()
    'data/cbs_wijken_buurten_2024_GM0034.gpkg'
    """
    return Path("data") / f"cbs_wijken_buurten_{year}_{_normalise_gemeente(gemeente)}.gpkg"


def fetch_cbs(
    gemeente: str = "GM0034",
    year: int = DEFAULT_YEAR,
    out_path: str | os.PathLike[str] | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout_s: float = 60.0,
    retries: int = 4,
    backoff_s: float = 1.0,
    page_size: int = _PAGE_SIZE,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download one gemeente's CBS buurten and wijken from PDOK into a GeoPackage.

    Parameters
    ----------
    gemeente : str
        CBS gemeente code, ``"GM0034"`` (Almere); ``"34"`` and ``"0034"`` are accepted too.
    year : int
        Year of the Wijk- en Buurtkaart; PDOK runs one service per year.
    out_path : path, optional
        GeoPackage to write (replaced if it exists). Default :func:`default_out_path`.
    base_url : str
        The OGC API landing page; ``{year}`` is filled in. Tests point this at a local server.
    timeout_s : float
        Seconds to wait for a connection or for data on it, per request.
    retries : int
        Extra attempts after a connection error, time-out, HTTP 408/429/5xx or a truncated or
        invalid JSON response. The n-th retry waits ``backoff_s * 2**(n-1)`` seconds (or the
        server's ``Retry-After``), at most 60 s.
    backoff_s : float
        First backoff delay in seconds.
    page_size : int
        Features per request (``limit``); PDOK allows at most 1000.
    progress : bool
        Show a progress bar per layer on stderr.
    sleep : callable
        Called with the backoff delay in seconds; injectable for tests.

    Returns
    -------
    Path
        The GeoPackage written, with layers ``buurten`` and ``wijken`` in EPSG:28992 and the CBS
        columns as PDOK names them (``buurtcode``, ``buurtnaam``, ``wijkcode``, ``wijknaam``,
        ``gemeentecode``, ``aantal_inwoners``, ...); CBS's missing-value sentinels are kept as
        published (the loaders turn them into NaN).

    Raises
    ------
    FetchError
        (an ``OSError``) PDOK cannot be reached, answers with an error status (an unknown year,
        a missing collection), or keeps sending broken responses. Nothing is written then.
    InputError
        (a ``ValueError``) the gemeente code or year is malformed, or PDOK has no buurten for
        that gemeente in that year.

    Examples
    --------
    Needs the internet, so not run here:

    >>> path = fetch_cbs("GM0034", 2024, "data/cbs_2024.gpkg")  # doctest: +SKIP
    >>> from almere_gis.load import load_buurten  # doctest: +SKIP
    >>> buurten = load_buurten(path, layer="buurten")  # doctest: +SKIP
    """
    code = _normalise_gemeente(gemeente)
    year = _check_year(year)
    if page_size < 1:
        raise InputError("page_size", f"must be at least 1, got {page_size}", "use 1000")
    out = Path(out_path) if out_path is not None else default_out_path(code, year)
    if out.suffix.lower() != ".gpkg":
        raise InputError(out, "the output must be a GeoPackage", "give a path ending in .gpkg")
    base = (base_url.format(year=year) if "{year}" in base_url else base_url).rstrip("/")
    client = _Client(
        timeout_s=timeout_s, retries=max(0, int(retries)), backoff_s=backoff_s, sleep=sleep
    )

    collections = _list_collections(client, base, year)
    missing = [name for name in LAYERS if name not in collections]
    if missing:
        raise FetchError(
            f"the CBS Wijken en Buurten {year} service at {base} has no collection "
            f"{', '.join(repr(m) for m in missing)}; it offers: "
            f"{', '.join(sorted(collections)) or 'none'}. Fix: choose another year "
            f"(see {PDOK_DATASET_PAGE})",
            url=f"{base}/collections",
        )

    frames: dict[str, gpd.GeoDataFrame] = {}
    search = _Search(
        client=client, base=base, code=code, collections=collections, page_size=page_size
    )
    with _progress_bar(progress) as bar:
        for layer in LAYERS:
            features, crs = search.download(layer, bar)
            frames[layer] = _to_frame(features, crs)
    if frames["buurten"].empty:
        raise InputError(
            f"gemeente {code}",
            f"PDOK's CBS Wijken en Buurten {year} has no buurten for this gemeente",
            "check the code (Almere is GM0034) and whether the gemeente existed in that year",
        )
    _write_atomically(frames, out)
    log.info(
        "Wrote %d buurten and %d wijken of %s (CBS Wijken en Buurten %d, PDOK) to %s",
        len(frames["buurten"]),
        len(frames["wijken"]),
        code,
        year,
        out,
    )
    return out


# --- input checks ---------------------------------------------------------------------------


def _normalise_gemeente(gemeente: str) -> str:
    match = _GEMEENTE_RE.match(str(gemeente).strip())
    if not match:
        raise InputError(
            f"gemeente {gemeente!r}",
            "is not a CBS gemeente code",
            "give GM followed by four digits, e.g. GM0034 for Almere",
        )
    return f"GM{int(match.group(1)):04d}"


def _check_year(year: int) -> int:
    try:
        value = int(year)
    except (TypeError, ValueError):
        value = -1
    if not 1990 <= value <= 2100 or str(value) != str(year).strip():
        raise InputError(
            f"year {year!r}",
            "is not a year",
            f"give the four-digit year of a Wijk- en Buurtkaart, e.g. {DEFAULT_YEAR}",
        )
    return value


# --- HTTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    url: str
    data: Any
    headers: Message


@dataclass(frozen=True)
class _Client:
    """GET JSON with retries; every failure ends in one FetchError that says what to do."""

    timeout_s: float
    retries: int
    backoff_s: float
    sleep: Callable[[float], None] = time.sleep
    service: str = "PDOK"
    """Who answers, for messages."""
    by_hand: str = "download the Wijk- en Buurtkaart by hand and set [paths] buurten"
    """The way round a failing service, for messages."""
    headers: Mapping[str, str] = field(
        default_factory=lambda: {
            "Accept": "application/geo+json, application/json;q=0.9",
            "User-Agent": f"almere-gis/{_version()} (+python-urllib)",
        }
    )

    def get_json(self, url: str) -> _Response:
        attempts = self.retries + 1
        failure = ""
        kind = ""
        retry_after: float | None = None
        last_status: int | None = None
        for attempt in range(attempts):
            if attempt:
                delay = self._delay(attempt, retry_after)
                log.info("Retrying %s in %.1f s (%s)", url, delay, failure)
                self.sleep(delay)
            retry_after = None
            try:
                request = urllib.request.Request(url, headers=dict(self.headers))
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
                    headers = response.headers
                    declared = headers.get("Content-Length")
                    if declared is not None and declared.isdigit() and int(declared) != len(body):
                        raise http.client.IncompleteRead(body, int(declared) - len(body))
            except urllib.error.HTTPError as exc:
                detail = _problem_detail(exc)
                if exc.code not in _RETRY_STATUS:
                    raise FetchError(
                        f"{self.service} answered HTTP {exc.code} {exc.reason} for {url}"
                        + (f": {detail}" if detail else ""),
                        url=url,
                        status=exc.code,
                    ) from None
                kind, failure = "status", f"HTTP {exc.code} {exc.reason}"
                retry_after = _retry_after(exc.headers)
                last_status = exc.code
                continue
            except (http.client.IncompleteRead, ConnectionResetError) as exc:
                kind, failure = "invalid", f"the response was cut off ({_reason(exc)})"
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                kind, failure = "unreachable", _reason(exc, self.timeout_s)
                continue
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                kind, failure = "invalid", f"the response is not valid JSON ({exc})"
                continue
            return _Response(url=url, data=data, headers=headers)

        host = urllib.parse.urlsplit(url).netloc or url
        if kind == "unreachable":
            fix = f"check the internet connection or {self.by_hand}"
            message = f"cannot reach {host}: {failure}. Fix: {fix}"
            raise FetchError(message, url=url)
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        if kind == "status":
            raise FetchError(
                f"{self.service} kept failing for {url}: {failure} after {tries}. Fix: the "
                f"service has a problem; try again later, or {self.by_hand}",
                url=url,
                status=last_status,
            )
        raise FetchError(
            f"{self.service} sent a truncated or invalid response for {url}: {failure}, after "
            f"{tries}. Fix: try again later (a proxy may cut off large responses), or "
            f"{self.by_hand}",
            url=url,
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, _MAX_BACKOFF_S)
        return min(self.backoff_s * 2 ** (attempt - 1), _MAX_BACKOFF_S)


def _version() -> str:
    try:
        return metadata.version("almere-gis")
    except metadata.PackageNotFoundError:
        return "dev"


def _reason(exc: BaseException, timeout_s: float | None = None) -> str:
    inner = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(inner, TimeoutError) and timeout_s is not None:
        return f"no answer within {timeout_s:g} s"
    if isinstance(inner, BaseException):
        text = getattr(inner, "strerror", None) or str(inner) or type(inner).__name__
        return str(text)
    return str(inner)


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _problem_detail(exc: urllib.error.HTTPError) -> str:
    """The server's explanation: RFC 7807 problem JSON (as PDOK sends), or the start of the body."""
    try:
        raw = exc.read()
    except (OSError, http.client.HTTPException):
        return ""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        problem = json.loads(text)
    except json.JSONDecodeError:
        return " ".join(text.split())[:300]
    if isinstance(problem, dict):
        parts = [str(problem[k]) for k in ("title", "detail", "description") if problem.get(k)]
        return "; ".join(parts)[:300]
    return ""


# --- OGC API Features -----------------------------------------------------------------------


def _with_query(url: str, params: Mapping[str, str | int]) -> str:
    return f"{url}?{urllib.parse.urlencode(params)}"


def _list_collections(client: _Client, base: str, year: int) -> dict[str, dict[str, Any]]:
    url = _with_query(f"{base}/collections", {"f": "json"})
    try:
        data = client.get_json(url).data
    except FetchError as exc:
        if exc.status == 404:
            raise FetchError(
                f"PDOK has no CBS Wijken en Buurten service for {year} at {base} (HTTP 404). "
                f"Fix: choose a year PDOK publishes; the years and their addresses are listed "
                f"on {PDOK_DATASET_PAGE}",
                url=url,
                status=404,
            ) from None
        raise
    items = data.get("collections") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise FetchError(
            f"{url} did not answer with an OGC API collections document. Fix: check base_url "
            f"(default {DEFAULT_BASE_URL})",
            url=url,
        )
    return {str(c["id"]): c for c in items if isinstance(c, dict) and c.get("id")}


def _crs_uri_for(collection: Mapping[str, Any]) -> str:
    """Ask for RD New unless the collection says it only serves other CRSs."""
    offered = collection.get("crs")
    if isinstance(offered, list) and offered and CRS_RD_URI not in offered:
        return CRS84_URI
    return CRS_RD_URI


def _uri_to_crs(uri: str) -> str:
    uri = uri.strip().strip("<>").strip()
    match = re.search(r"/EPSG/\d+/(\d+)$", uri)
    if match:
        return f"EPSG:{match.group(1)}"
    if uri.rstrip("/").endswith("CRS84"):
        return "OGC:CRS84"
    raise FetchError(
        f"PDOK sent coordinates in a CRS this package does not know ({uri!r}). Fix: download "
        f"the Wijk- en Buurtkaart by hand and set [paths] buurten"
    )


def _next_link(page: Mapping[str, Any], current: str) -> str | None:
    links = page.get("links")
    if not isinstance(links, list):
        return None
    nexts = [
        link
        for link in links
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")
    ]
    if not nexts:
        return None
    # PDOK may offer the next page in several formats: take a JSON one.
    nexts.sort(key=lambda link: "json" not in str(link.get("type", "json")))
    return urllib.parse.urljoin(current, str(nexts[0]["href"]))


def _feature_gemeente(properties: Mapping[str, Any]) -> str | None:
    for key in _GEMEENTE_KEYS:
        digits = re.sub(r"\D", "", str(properties.get(key) or ""))
        if digits:
            return f"GM{int(digits):04d}"
    for key in _AREA_CODE_KEYS:
        value = str(properties.get(key) or "").strip()
        if len(value) >= 6 and value[2:6].isdigit():
            return f"GM{value[2:6]}"
    return None


def _filter_unsupported(exc: FetchError) -> bool:
    """True when a 400 answer blames the ``gemeentecode`` parameter (not set up on the server)."""
    detail = str(exc).replace(exc.url, "").lower()
    return exc.status == 400 and ("gemeentecode" in detail or "unknown" in detail)


@dataclass
class _Search:
    """Pages through one gemeente's features of a collection."""

    client: _Client
    base: str
    code: str
    collections: Mapping[str, Mapping[str, Any]]
    page_size: int = _PAGE_SIZE
    # Set once the server refused the gemeentecode property filter: bbox (in the CRS URI).
    _bbox: tuple[tuple[float, float, float, float], str] | None = None

    def download(self, layer: str, bar: _Bar) -> tuple[list[dict[str, Any]], str]:
        crs_uri = _crs_uri_for(self.collections[layer])
        task = bar.add(layer)
        if self._bbox is None:
            try:
                # PDOK stores the code as "GM0034"; accept a service that stores "0034".
                for value in (self.code, self.code[2:]):
                    features, crs, received = self._pages(
                        layer, {"gemeentecode": value}, crs_uri, bar, task
                    )
                    if received:
                        break
                return features, crs
            except FetchError as exc:
                if not _filter_unsupported(exc):
                    raise
                log.warning(
                    "PDOK does not filter %s on gemeentecode (%s); selecting %s by its "
                    "bounding box instead",
                    layer,
                    exc,
                    self.code,
                )
                self._bbox = self._gemeente_bbox(crs_uri, bar)
        bbox, bbox_crs = self._bbox
        params = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "bbox-crs": bbox_crs}
        features, crs, _ = self._pages(layer, params, crs_uri, bar, task)
        return features, crs

    def _gemeente_bbox(
        self, crs_uri: str, bar: _Bar
    ) -> tuple[tuple[float, float, float, float], str]:
        if _GEMEENTEN not in self.collections:
            raise FetchError(
                f"cannot select {self.code} at {self.base}: the service neither filters on "
                f"gemeentecode nor has a '{_GEMEENTEN}' collection. Fix: download the Wijk- en "
                f"Buurtkaart by hand and set [paths] buurten",
                url=self.base,
            )
        features, crs, _ = self._pages(_GEMEENTEN, {}, crs_uri, bar, bar.add(_GEMEENTEN))
        frame = _to_frame(features, crs, reproject=False)
        if frame.empty:
            raise InputError(
                f"gemeente {self.code}",
                f"PDOK lists no gemeente with this code at {self.base}",
                "check the code (Almere is GM0034) and the year",
            )
        bounds = tuple(float(v) for v in frame.total_bounds)
        return (bounds[0], bounds[1], bounds[2], bounds[3]), crs_uri

    def _pages(
        self,
        layer: str,
        selection: Mapping[str, str],
        crs_uri: str,
        bar: _Bar,
        task: int,
    ) -> tuple[list[dict[str, Any]], str, int]:
        params: dict[str, str | int] = {"f": "json", "limit": self.page_size, "crs": crs_uri}
        params.update(selection)
        url: str | None = _with_query(f"{self.base}/collections/{layer}/items", params)
        kept: list[dict[str, Any]] = []
        received = 0
        matched: int | None = None
        response_crs = crs_uri
        seen: set[str] = set()
        bar.reset(task)
        while url is not None:
            if url in seen or len(seen) >= _MAX_PAGES:
                raise FetchError(
                    f"PDOK's paging for {layer} loops at {url}. Fix: try again later",
                    url=url,
                )
            seen.add(url)
            response = self.client.get_json(url)
            page = response.data
            features = page.get("features") if isinstance(page, dict) else None
            if (
                not isinstance(page, dict)
                or page.get("type") != "FeatureCollection"
                or not (isinstance(features, list))
            ):
                raise FetchError(
                    f"{url} did not answer with a GeoJSON FeatureCollection. Fix: check "
                    f"base_url (default {DEFAULT_BASE_URL})",
                    url=url,
                )
            header_crs = response.headers.get("Content-Crs")
            if header_crs:
                response_crs = header_crs.strip().strip("<>").strip()
            if matched is None and isinstance(page.get("numberMatched"), int):
                matched = int(page["numberMatched"])
                bar.total(task, matched)
            received += len(features)
            kept.extend(
                f
                for f in features
                if isinstance(f, dict) and _feature_gemeente(f.get("properties") or {}) == self.code
            )
            bar.advance(task, len(features))
            url = _next_link(page, response.url)
        if matched is not None and received != matched:
            raise FetchError(
                f"PDOK announced {matched} {layer} but sent {received}. Fix: try again later",
                url=self.base,
            )
        if received != len(kept):
            log.info(
                "Kept %d of %d %s from PDOK: the others belong to another gemeente",
                len(kept),
                received,
                layer,
            )
        return kept, response_crs, received


# --- output ---------------------------------------------------------------------------------


def _to_frame(
    features: Sequence[Mapping[str, Any]], crs_uri: str, *, reproject: bool = True
) -> gpd.GeoDataFrame:
    crs = _uri_to_crs(crs_uri)
    if features:
        frame = gpd.GeoDataFrame.from_features(list(features), crs=crs)
    else:
        frame = gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], crs=crs)}, crs=crs)
    # GeoJSON puts the geometry first; keep CBS's column order with the geometry last.
    frame = frame[[c for c in frame.columns if c != "geometry"] + ["geometry"]]
    if reproject and frame.crs is not None and not frame.crs.equals(CRS_RD):
        log.info("Reprojecting %d features from %s to %s", len(frame), crs, CRS_RD)
        frame = frame.to_crs(CRS_RD)
    return frame.reset_index(drop=True)


def _write_atomically(frames: Mapping[str, gpd.GeoDataFrame], out: Path) -> None:
    """Write every layer to a temporary GeoPackage beside ``out``, then move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part.gpkg")
    try:
        for name, frame in frames.items():
            frame.to_file(tmp, layer=name, driver="GPKG")
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


# --- progress -------------------------------------------------------------------------------


class _Bar:
    """A thin wrapper over rich's Progress so the download code does not depend on it."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress

    def add(self, name: str) -> int:
        return int(self._progress.add_task(f"PDOK {name}", total=None))

    def reset(self, task: int) -> None:
        self._progress.reset(task, total=None)

    def total(self, task: int, total: int) -> None:
        self._progress.update(task, total=total)

    def advance(self, task: int, n: int) -> None:
        self._progress.advance(task, n)


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[_Bar]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    ) as progress:
        yield _Bar(progress)
