"""fetch_cbs against a local HTTP server that answers like PDOK's OGC API Features.

The fake service runs on 127.0.0.1 (port 0) in a thread and serves hand-built squares in RD New
with the CBS lower-case columns. No test touches the internet; backoff is injected as a no-op so
the whole file runs in a few seconds.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box, mapping

from almere_gis._errors import FetchError, InputError
from almere_gis.io import fetch as fetch_mod
from almere_gis.io.fetch import CRS_RD_URI, fetch_cbs

YEAR = 2024
PREFIX = f"/cbs/wijken-en-buurten-{YEAR}/ogc/v1"


# --- hand-built CBS data ---------------------------------------------------------------------


def _buurt(code: str, name: str, x0: float, inhabitants: int, gm: str = "GM0034") -> dict:
    wk = "WK" + code[2:8]
    square = box(x0, 480_000.0, x0 + 1_000.0, 481_000.0)  # 100 ha
    return {
        "type": "Feature",
        "id": code,
        "geometry": mapping(square),
        "properties": {
            "buurtcode": code,
            "buurtnaam": name,
            "wijkcode": wk,
            "wijknaam": f"Wijk {wk}",
            "gemeentecode": gm,
            "gemeentenaam": "Almere" if gm == "GM0034" else "Zeewolde",
            "water": "NEE",
            "aantal_inwoners": inhabitants,
            "aantal_huishoudens": inhabitants // 2,
            "woningvoorraad": inhabitants // 2,
            "oppervlakte_totaal_in_ha": 100,
            "oppervlakte_land_in_ha": 100,
            "oppervlakte_water_in_ha": 0,
            "treinstation_gemiddelde_afstand_in_km": 1.5,
            "aantal_bedrijfsvestigingen": -99997,
        },
    }


BUURTEN = [
    _buurt("BU00340101", "Centrum Almere-Haven", 140_000.0, 1425),
    _buurt("BU00340102", "De Werven", 141_000.0, 2300),
    _buurt("BU00340201", "Stedenwijk", 145_000.0, 5100),
]
FOREIGN_BUURT = _buurt("BU00500101", "Zeewolde Centrum", 160_000.0, 4000, gm="GM0050")


def _wijk(code: str, xs: tuple[float, float]) -> dict:
    return {
        "type": "Feature",
        "id": code,
        "geometry": mapping(box(xs[0], 480_000.0, xs[1], 481_000.0)),
        "properties": {
            "wijkcode": code,
            "wijknaam": f"Wijk {code}",
            "gemeentecode": "GM0034",
            "gemeentenaam": "Almere",
            "water": "NEE",
            "aantal_inwoners": 1000,
        },
    }


WIJKEN = [_wijk("WK003401", (140_000.0, 142_000.0)), _wijk("WK003402", (145_000.0, 146_000.0))]
GEMEENTEN = [
    {
        "type": "Feature",
        "id": "GM0034",
        "geometry": mapping(box(140_000.0, 480_000.0, 146_000.0, 481_000.0)),
        "properties": {"gemeentecode": "GM0034", "gemeentenaam": "Almere"},
    },
    {
        "type": "Feature",
        "id": "GM0050",
        "geometry": mapping(box(160_000.0, 480_000.0, 161_000.0, 481_000.0)),
        "properties": {"gemeentecode": "GM0050", "gemeentenaam": "Zeewolde"},
    },
]


def _collections_doc(ids: tuple[str, ...] = ("gemeenten", "wijken", "buurten")) -> dict:
    return {
        "links": [],
        "collections": [
            {
                "id": cid,
                "title": cid.capitalize(),
                "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS_RD_URI],
                "storageCrs": CRS_RD_URI,
            }
            for cid in ids
        ],
    }


def _page(features: list[dict], *, matched: int, next_href: str | None = None) -> dict:
    links = [{"rel": "self", "type": "application/geo+json", "href": "self"}]
    if next_href:
        links.append({"rel": "next", "type": "text/html", "href": next_href + "&f=html"})
        links.append({"rel": "next", "type": "application/geo+json", "href": next_href})
    return {
        "type": "FeatureCollection",
        "timeStamp": "2025-01-01T00:00:00Z",
        "links": links,
        "numberMatched": matched,
        "numberReturned": len(features),
        "features": features,
    }


# --- the fake PDOK server --------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON, bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # send only the first half of the announced body

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class FakePdok:
    """Serves scripted replies per route; a route's last reply repeats once the others are used."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                key = parts.path + (f"#{query['cursor']}" if "cursor" in query else "")
                with fake.lock:
                    fake.requests.append((parts.path, query))
                    replies = fake.routes.get(key)
                    if query.get("f") == "html":  # PDOK's pages for people
                        reply = Reply(body=b"<!DOCTYPE html><html><body>PDOK</body></html>")
                    elif replies is None:
                        reply = Reply(404, {"title": "Not Found", "status": 404})
                    else:
                        reply = replies.pop(0) if len(replies) > 1 else replies[0]
                body = reply.payload()
                self.send_response(reply.status)
                content_type = (
                    "application/problem+json" if reply.status >= 400 else "application/geo+json"
                )
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/cbs/wijken-en-buurten-{{year}}/ogc/v1"
        self.root = f"http://127.0.0.1:{self.port}"

    def set(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self.routes[path] = list(replies)

    def items_requests(self, collection: str) -> list[dict[str, str]]:
        path = f"{PREFIX}/collections/{collection}/items"
        return [q for p, q in self.requests if p == path]

    def serve_pdok(self, *, filter_supported: bool = True) -> None:
        """A service with two pages of buurten, one page of wijken, and the gemeenten."""
        items = f"{PREFIX}/collections/buurten/items"
        self.set(f"{PREFIX}/collections", Reply(body=_collections_doc()))
        rd = {"Content-Crs": f"<{CRS_RD_URI}>"}
        if filter_supported:
            nxt = f"{self.root}{items}?cursor=p2&limit=2&crs={CRS_RD_URI}&gemeentecode=GM0034"
            self.set(items, Reply(body=_page(BUURTEN[:2], matched=3, next_href=nxt), headers=rd))
            self.set(items + "#p2", Reply(body=_page(BUURTEN[2:], matched=3), headers=rd))
            self.set(
                f"{PREFIX}/collections/wijken/items",
                Reply(body=_page(WIJKEN, matched=2), headers=rd),
            )
        else:
            refused = Reply(
                400,
                {
                    "title": "Bad Request",
                    "status": 400,
                    "detail": "unknown query parameter(s) found: gemeentecode=GM0034",
                },
            )
            self.routes[items] = [refused]
            self.routes[f"{PREFIX}/collections/wijken/items"] = [refused]
            self.routes[f"{PREFIX}/collections/gemeenten/items"] = [
                Reply(body=_page(GEMEENTEN, matched=2), headers=rd)
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pdok() -> Iterator[FakePdok]:
    fake = FakePdok()
    thread = threading.Thread(
        target=fake.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        fake.close()
        thread.join(timeout=5)


def _fetch(fake: FakePdok, out: Path, **kwargs: Any) -> Path:
    options: dict[str, Any] = {
        "base_url": fake.base_url,
        "timeout_s": 2.0,
        "retries": 2,
        "sleep": lambda s: None,
        "progress": False,
    }
    options.update(kwargs)
    return fetch_cbs("GM0034", YEAR, out, **options)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- tests -----------------------------------------------------------------------------------


def test_pages_are_followed_and_written_to_both_layers(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    out = _fetch(pdok, tmp_path / "sub" / "cbs.gpkg", progress=True)

    assert out == tmp_path / "sub" / "cbs.gpkg"
    layers = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert set(layers) == {"buurten", "wijken"}
    buurten = pyogrio.read_dataframe(out, layer="buurten")
    wijken = pyogrio.read_dataframe(out, layer="wijken")
    assert buurten.crs.to_epsg() == 28992 and wijken.crs.to_epsg() == 28992
    # Both pages arrived, in order, with CBS's own column names and values.
    assert buurten["buurtcode"].tolist() == [f["properties"]["buurtcode"] for f in BUURTEN]
    assert buurten["aantal_inwoners"].tolist() == [1425, 2300, 5100]
    assert buurten["aantal_bedrijfsvestigingen"].tolist() == [-99997] * 3  # sentinel kept
    assert {"buurtnaam", "wijkcode", "gemeentecode", "oppervlakte_land_in_ha"} <= set(buurten)
    assert buurten.geometry.area.tolist() == pytest.approx([1_000_000.0] * 3)
    assert wijken["wijkcode"].tolist() == ["WK003401", "WK003402"]
    # The requests asked for RD New, PDOK's page size and the gemeente filter.
    first = pdok.items_requests("buurten")[0]
    assert first["crs"] == CRS_RD_URI
    assert first["limit"] == "1000"
    assert first["gemeentecode"] == "GM0034"
    assert [q.get("cursor") for q in pdok.items_requests("buurten")] == [None, "p2"]
    assert _leftovers(out.parent) == ["cbs.gpkg"]


def test_an_existing_file_is_replaced_whole(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    out = tmp_path / "cbs.gpkg"
    out.write_bytes(b"old")
    _fetch(pdok, out)
    assert len(pyogrio.read_dataframe(out, layer="buurten")) == 3


def test_a_failure_while_writing_keeps_the_old_file(
    pdok: FakePdok, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdok.serve_pdok()
    out = tmp_path / "cbs.gpkg"
    out.write_bytes(b"previous download")
    real_to_file = gpd.GeoDataFrame.to_file

    def to_file_then_fail(self: gpd.GeoDataFrame, path: Any, **kwargs: Any) -> None:
        if kwargs.get("layer") == "wijken":  # the second layer: the first is already on disk
            raise OSError(28, "No space left on device")
        real_to_file(self, path, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", to_file_then_fail)
    with pytest.raises(OSError, match="No space left"):
        _fetch(pdok, out)
    assert out.read_bytes() == b"previous download"
    assert _leftovers(tmp_path) == ["cbs.gpkg"]


def test_server_error_is_retried_then_succeeds(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    wijken = f"{PREFIX}/collections/wijken/items"
    good = pdok.routes[wijken][0]
    pdok.set(
        wijken,
        Reply(500, {"title": "Internal Server Error", "status": 500}),
        Reply(429, {"title": "Too Many Requests"}, headers={"Retry-After": "7"}),
        good,
    )
    delays: list[float] = []
    out = _fetch(pdok, tmp_path / "cbs.gpkg", sleep=delays.append, backoff_s=0.5)

    assert len(pyogrio.read_dataframe(out, layer="wijken")) == 2
    assert len(pdok.items_requests("wijken")) == 3
    # Exponential backoff after the 500, then the server's Retry-After after the 429.
    assert delays == [0.5, 7.0]


def test_server_errors_until_retries_run_out(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    pdok.set(f"{PREFIX}/collections/wijken/items", Reply(503, {"title": "Service Unavailable"}))
    delays: list[float] = []
    with pytest.raises(FetchError, match=r"HTTP 503 .* after 4 attempts") as info:
        _fetch(pdok, tmp_path / "cbs.gpkg", retries=3, backoff_s=1.0, sleep=delays.append)
    assert info.value.status == 503
    assert delays == [1.0, 2.0, 4.0]
    assert len(pdok.items_requests("wijken")) == 4
    assert _leftovers(tmp_path) == []


def test_unknown_year_gives_a_clear_404_message(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()  # serves 2024 only; 1999 is answered with 404
    with pytest.raises(FetchError) as info:
        fetch_cbs("GM0034", 1999, tmp_path / "cbs.gpkg", base_url=pdok.base_url, progress=False)
    message = str(info.value)
    assert "no CBS Wijken en Buurten service for 1999" in message
    assert "HTTP 404" in message
    assert "Fix:" in message and fetch_mod.PDOK_DATASET_PAGE in message
    assert isinstance(info.value, OSError)
    assert len(pdok.requests) == 1  # a 404 is not retried
    assert _leftovers(tmp_path) == []


def test_missing_collection_lists_what_the_service_offers(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    pdok.set(f"{PREFIX}/collections", Reply(body=_collections_doc(("gemeenten", "buurten"))))
    with pytest.raises(FetchError, match=r"no collection 'wijken'; it offers: buurten, gemeenten"):
        _fetch(pdok, tmp_path / "cbs.gpkg")
    assert _leftovers(tmp_path) == []


def test_other_4xx_reports_the_server_detail(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    pdok.set(
        f"{PREFIX}/collections/buurten/items",
        Reply(400, {"title": "Bad Request", "detail": "limit must be at most 1000"}),
    )
    with pytest.raises(FetchError, match=r"HTTP 400 .*limit must be at most 1000") as info:
        _fetch(pdok, tmp_path / "cbs.gpkg")
    assert info.value.status == 400
    assert len(pdok.items_requests("buurten")) == 1


@pytest.mark.parametrize(
    "broken",
    [
        Reply(body=_page(BUURTEN, matched=3), truncate=True),  # connection closed mid-body
        Reply(body=json.dumps(_page(BUURTEN, matched=3)).encode()[:-40]),  # cut-off JSON
        Reply(body=b"<html>Gateway</html>"),  # not JSON at all
    ],
    ids=["incomplete-read", "cut-json", "not-json"],
)
def test_truncated_response_fails_clearly_and_writes_nothing(
    pdok: FakePdok, tmp_path: Path, broken: Reply
) -> None:
    pdok.serve_pdok()
    pdok.set(f"{PREFIX}/collections/wijken/items", broken)
    out = tmp_path / "cbs.gpkg"
    with pytest.raises(FetchError, match=r"truncated or invalid response .* after 3 attempts"):
        _fetch(pdok, out, retries=2)
    assert len(pdok.items_requests("wijken")) == 3
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_truncated_response_is_retried(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    wijken = f"{PREFIX}/collections/wijken/items"
    good = pdok.routes[wijken][0]
    pdok.set(wijken, Reply(body=good.body, truncate=True), good)
    out = _fetch(pdok, tmp_path / "cbs.gpkg")
    assert len(pyogrio.read_dataframe(out, layer="wijken")) == 2


def test_fewer_features_than_announced_is_an_error(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    pdok.set(f"{PREFIX}/collections/wijken/items", Reply(body=_page(WIJKEN[:1], matched=2)))
    with pytest.raises(FetchError, match="announced 2 wijken but sent 1"):
        _fetch(pdok, tmp_path / "cbs.gpkg")
    assert _leftovers(tmp_path) == []


def test_unreachable_server_fails_fast_with_one_clear_message(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    slept: list[float] = []
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_cbs(
            "GM0034",
            YEAR,
            tmp_path / "cbs.gpkg",
            base_url=f"http://127.0.0.1:{port}/cbs/wijken-en-buurten-{{year}}/ogc/v1",
            timeout_s=1.0,
            retries=2,
            sleep=slept.append,
            progress=False,
        )
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert message.startswith(f"cannot reach 127.0.0.1:{port}: ")
    assert message.endswith(
        "Fix: check the internet connection or download the Wijk- en Buurtkaart by hand "
        "and set [paths] buurten"
    )
    assert slept == [1.0, 2.0]  # default backoff, doubled
    assert _leftovers(tmp_path) == []


def test_silent_server_times_out(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections but never answers
    try:
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(FetchError, match=r"cannot reach .*no answer within 0.2 s"):
            fetch_cbs(
                "GM0034",
                YEAR,
                tmp_path / "cbs.gpkg",
                base_url=f"http://127.0.0.1:{port}/{{year}}",
                timeout_s=0.2,
                retries=1,
                sleep=lambda s: None,
                progress=False,
            )
        assert time.monotonic() - start < 3
    finally:
        listener.close()


def test_without_property_filter_falls_back_to_the_gemeente_bbox(
    pdok: FakePdok, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pdok.serve_pdok(filter_supported=False)
    items = f"{PREFIX}/collections/buurten/items"
    wijken = f"{PREFIX}/collections/wijken/items"
    refused = pdok.routes[items][0]
    rd = {"Content-Crs": f"<{CRS_RD_URI}>"}
    # First request (with gemeentecode) refused, then the bbox query answers, including a
    # buurt of a neighbouring gemeente that overlaps the bbox.
    pdok.set(items, refused, Reply(body=_page([*BUURTEN, FOREIGN_BUURT], matched=4), headers=rd))
    pdok.set(wijken, Reply(body=_page(WIJKEN, matched=2), headers=rd))
    with caplog.at_level("WARNING", logger="almere_gis"):
        out = _fetch(pdok, tmp_path / "cbs.gpkg")

    buurten = pyogrio.read_dataframe(out, layer="buurten")
    assert buurten["buurtcode"].tolist() == [f["properties"]["buurtcode"] for f in BUURTEN]
    bbox_query = pdok.items_requests("buurten")[-1]
    assert "gemeentecode" not in bbox_query
    assert bbox_query["bbox-crs"] == CRS_RD_URI
    assert [float(v) for v in bbox_query["bbox"].split(",")] == [140000, 480000, 146000, 481000]
    assert "gemeentecode" not in pdok.items_requests("wijken")[0]  # no second refusal
    assert "bounding box" in caplog.text


def test_features_in_crs84_are_reprojected(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    doc = _collections_doc()
    for c in doc["collections"]:
        c["crs"] = ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    pdok.set(f"{PREFIX}/collections", Reply(body=doc))
    lonlat = {
        "type": "Feature",
        "geometry": mapping(box(5.2, 52.35, 5.21, 52.36)),
        "properties": {"buurtcode": "BU00340101", "gemeentecode": "GM0034"},
    }
    crs84 = {"Content-Crs": "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"}
    for layer in ("buurten", "wijken"):
        pdok.set(
            f"{PREFIX}/collections/{layer}/items",
            Reply(body=_page([lonlat], matched=1), headers=crs84),
        )
    out = _fetch(pdok, tmp_path / "cbs.gpkg")
    buurten = pyogrio.read_dataframe(out, layer="buurten")
    assert buurten.crs.to_epsg() == 28992
    x, y = buurten.geometry.iloc[0].centroid.coords[0]
    assert 140_000 < x < 150_000 and 480_000 < y < 490_000  # Almere-Haven in RD New
    assert pdok.items_requests("buurten")[0]["crs"].endswith("CRS84")


def test_unknown_gemeente_code_is_reported(pdok: FakePdok, tmp_path: Path) -> None:
    pdok.serve_pdok()
    empty = Reply(body=_page([], matched=0))
    pdok.set(f"{PREFIX}/collections/buurten/items", empty)
    pdok.set(f"{PREFIX}/collections/wijken/items", empty)
    with pytest.raises(InputError, match=r"gemeente GM0034: .*no buurten"):
        _fetch(pdok, tmp_path / "cbs.gpkg")
    # Tried "GM0034" and then the bare digits before giving up.
    assert [q["gemeentecode"] for q in pdok.items_requests("buurten")] == ["GM0034", "0034"]
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("bad", ["Almere", "GM00341", "WK003401", ""])
def test_malformed_gemeente_code(bad: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="GM followed by four digits"):
        fetch_cbs(bad, YEAR, tmp_path / "x.gpkg", base_url="http://127.0.0.1:9/{year}")


def test_gemeente_code_variants_and_default_path() -> None:
    assert fetch_mod.default_out_path("34", 2023) == Path(
        "data/cbs_wijken_buurten_2023_GM0034.gpkg"
    )
    assert fetch_mod.default_out_path("gm0034").name.endswith("_GM0034.gpkg")


def test_output_must_be_a_geopackage(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ending in .gpkg"):
        fetch_cbs("GM0034", YEAR, tmp_path / "cbs.shp", base_url="http://127.0.0.1:9/{year}")


def test_loaders_read_the_download(pdok: FakePdok, tmp_path: Path) -> None:
    from almere_gis.io.areas import load_buurten, load_wijken

    pdok.serve_pdok()
    out = _fetch(pdok, tmp_path / "cbs.gpkg")
    buurten = load_buurten(out, layer="buurten")
    assert buurten["buurt_code"].tolist() == [f["properties"]["buurtcode"] for f in BUURTEN]
    assert buurten["inhabitants"].tolist() == [1425, 2300, 5100]
    assert buurten["homes"].tolist() == [712, 1150, 2550]
    assert buurten["area_land_ha"].tolist() == [100, 100, 100]
    assert buurten["dist_train_km"].tolist() == [1.5, 1.5, 1.5]
    assert buurten["cbs_establishments"].isna().all()  # the CBS sentinel became missing
    assert buurten.crs.to_epsg() == 28992
    wijken = load_wijken(out, layer="wijken")
    assert wijken["wijk_code"].tolist() == ["WK003401", "WK003402"]


# --- the Kerncijfers from CBS's OData API ------------------------------------------------------

TABLE = "85984NED"


def _kc_row(i: int, code: str, kind: str, total: int | None, trade: int | None) -> dict:
    name = "Almere" if code[2:6] == "0034" else "Zeewolde"
    return {"ID": i, "WijkenEnBuurten": f"{code:<10}", "Gemeentenaam_1": f"{name:<40}",
            "SoortRegio_2": f"{kind:<10}", "Codering_3": f"{code:<10}",
            "BedrijfsvestigingenTotaal_95": total, "GIHandelEnHoreca_98": trade}  # fmt: skip


KC_ROWS = [
    _kc_row(0, "GM0034", "Gemeente", 31655, 6300),
    _kc_row(1, "WK003401", "Wijk", 2400, 500),
    _kc_row(2, "BU00340101", "Buurt", 900, None),  # secret: null in the TypedDataSet
    _kc_row(3, "BU00340102", "Buurt", 15, None),
    _kc_row(4, "GM0050", "Gemeente", 2500, 400),
    _kc_row(5, "BU00500101", "Buurt", 300, 60),
]


class FakeCbs:
    """CBS's OData v3 TypedDataSet: evaluates the startswith filter, pages by two rows."""

    def __init__(self, *, fail_first: int = 0, status: int = 503) -> None:
        self.requests: list[dict[str, str]] = []
        self.failures = fail_first
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                fake.requests.append(query)
                if parts.path != f"/ODataApi/OData/{TABLE}/TypedDataSet":
                    self._send(404, {"odata.error": {"message": {"value": "No table"}}})
                elif fake.failures > 0:
                    fake.failures -= 1
                    self._send(status, {"odata.error": {"message": {"value": "busy"}}})
                else:
                    self._send(200, fake.page(query, parts.path))

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/ODataApi/OData"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, query: dict[str, str], path: str) -> dict:
        import re

        prefixes = re.findall(r"startswith\(WijkenEnBuurten,'(\w+)'\)", query.get("$filter", ""))
        rows = [r for r in KC_ROWS if r["WijkenEnBuurten"].startswith(tuple(prefixes))]
        skip = int(query.get("$skip", 0))
        body: dict[str, Any] = {"odata.metadata": "x", "value": rows[skip : skip + 2]}
        if skip + 2 < len(rows):
            nxt = dict(query, **{"$skip": str(skip + 2)})
            body["odata.nextLink"] = f"{self.base_url}/{TABLE}/TypedDataSet?" + (
                urllib.parse.urlencode(nxt)
            )
        return body

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cbs() -> Iterator[FakeCbs]:
    fake = FakeCbs(fail_first=1)
    yield fake
    fake.close()


def test_kerncijfers_are_filtered_paged_retried_and_readable(cbs: FakeCbs, tmp_path: Path) -> None:
    from almere_gis.io import read_kerncijfers
    from almere_gis.io.fetch_kerncijfers import fetch_kerncijfers

    out = tmp_path / "kc.csv"
    sleeps: list[float] = []
    path = fetch_kerncijfers("34", 2024, out, base_url=cbs.base_url, sleep=sleeps.append)
    assert path == out and sleeps == [1.0]  # one 503, retried once
    assert cbs.requests[0]["$filter"] == (
        "startswith(WijkenEnBuurten,'GM0034') or startswith(WijkenEnBuurten,'WK0034')"
        " or startswith(WijkenEnBuurten,'BU0034')"
    )
    assert [q.get("$skip") for q in cbs.requests] == [None, None, "2"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbfID;Peildatum;WijkenEnBuurten;")
    figures = read_kerncijfers(out)
    assert figures["code"].tolist() == ["GM0034", "WK003401", "BU00340101", "BU00340102"]
    assert figures["n_establishments"].tolist() == [31655, 2400, 900, 15]
    assert figures["G+I"].iloc[:2].tolist() == [6300, 500]
    assert figures["G+I"].iloc[2:].isna().all()
    assert (figures["peildatum"] == "2024-01-01").all()
    assert not [p for p in tmp_path.iterdir() if p != out]  # no temporary file left


def test_kerncijfers_server_errors_write_nothing(tmp_path: Path) -> None:
    from almere_gis.io.fetch_kerncijfers import fetch_kerncijfers

    fake = FakeCbs(fail_first=10)
    try:
        with pytest.raises(FetchError) as err:
            fetch_kerncijfers("GM0034", 2024, tmp_path / "kc.csv", base_url=fake.base_url,
                              retries=2, sleep=lambda s: None)  # fmt: skip
    finally:
        fake.close()
    url = fake.base_url + f"/{TABLE}/TypedDataSet"
    assert str(err.value).startswith(f"CBS kept failing for {url}?")
    assert str(err.value).endswith(
        "HTTP 503 Service Unavailable after 3 attempts. Fix: the service has a problem; try"
        " again later, or download 'Kerncijfers wijken en buurten' from CBS StatLine as CSV"
        " and read it with read_kerncijfers"
    )
    assert list(tmp_path.iterdir()) == []


def test_kerncijfers_unknown_year_and_empty_gemeente(cbs: FakeCbs, tmp_path: Path) -> None:
    from almere_gis.io.fetch_kerncijfers import KERNCIJFERS_TABLES, fetch_kerncijfers

    assert KERNCIJFERS_TABLES[2024] == TABLE and sorted(KERNCIJFERS_TABLES)[0] == 2018
    with pytest.raises(InputError, match=r"^year 2030: no Kerncijfers table known for this year"):
        fetch_kerncijfers("GM0034", 2030, tmp_path / "kc.csv", base_url=cbs.base_url)
    with pytest.raises(FetchError, match=r"CBS answered HTTP 404 Not Found"):
        fetch_kerncijfers("GM0034", 2023, tmp_path / "kc.csv", base_url=cbs.base_url,
                          sleep=lambda s: None)  # fmt: skip
    cbs.failures = 0
    with pytest.raises(InputError) as err:
        fetch_kerncijfers("GM0363", 2024, tmp_path / "kc.csv", base_url=cbs.base_url)
    assert str(err.value) == (
        "gemeente GM0363: CBS table 85984NED (Kerncijfers 2024) has no rows for this gemeente."
        " Fix: check the code (Almere is GM0034) and whether the gemeente existed in that year"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_command_fetches_polygons_and_kerncijfers(
    pdok: FakePdok, cbs: FakeCbs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import functools

    from almere_gis import cli
    from almere_gis.io import fetch_kerncijfers as kc_mod

    pdok.serve_pdok()
    monkeypatch.setattr(fetch_mod, "fetch_cbs", functools.partial(
        fetch_cbs, base_url=pdok.base_url, sleep=lambda s: None, progress=False))  # fmt: skip
    monkeypatch.setattr(kc_mod, "fetch_kerncijfers", functools.partial(
        kc_mod.fetch_kerncijfers, base_url=cbs.base_url, sleep=lambda s: None))  # fmt: skip
    gpkg, csv = tmp_path / "wb.gpkg", tmp_path / "kc.csv"
    code = cli.main(["--lang", "en", "fetch-cbs", "--year", "2024", "--out", str(gpkg),
                     "--kerncijfers-out", str(csv)])  # fmt: skip
    assert code == 0 and gpkg.is_file() and csv.is_file()
    said = " ".join(capsys.readouterr().out.split())
    assert f"wrote {csv}: the CBS Kerncijfers (establishments per buurt and sector)" in said
    csv.unlink()
    assert cli.main(["fetch-cbs", "--out", str(gpkg), "--no-kerncijfers"]) == 0
    assert not csv.exists()
