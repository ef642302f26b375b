"""Embedded demo data for Almere: approximate buurt geometry, a synthetic business register and
candidate broedplaats sites, all generated reproducibly from a seed.

Nothing here is real except the CBS figures per buurt
(``almere_gis/datasets/data/almere_buurten_cbs.csv``,
extracted by ``scripts/extract_buurt_facts.py`` from the CBS Wijk- en Buurtkaart, CC BY 4.0).
The polygons, establishments and sites are invented so that the pipeline can run offline on a
city a planner recognises. ``shapefiles/README.md`` (written by :func:`generate_demo_data`)
repeats the sources and figures below for users.

Geometry
--------
* Municipal outline: a disc of the buurt's CBS land area (radius ``s * sqrt(OPP_LAND / pi)``)
  around every buurt point, unioned, closed with a 300 m buffer/unbuffer, holes filled; ``s`` is
  found by bisection so the outline's area equals the sum of ``OPP_LAND`` (12,963 ha).
* Buurten: a power diagram (weighted Voronoi) of the buurt points clipped to the outline. The
  weights are tuned by sequential quadratic programming on the cell areas (target: ``OPP_LAND``,
  land area, because the acceptance test compares with land area; water is not modelled) under
  the constraint ``w_j - w_i <= 0.9 * d_ij**2``, which keeps every buurt point inside its own cell.
  Coordinates are snapped to a 1 m grid. Wijken (stadsdelen) are dissolved from the buurten.

Calibration of the business register (source, or "assumption" where no public figure exists)
------------------------------------------------------------------------------------------
* 79,000 jobs in total; 43 % of them (34,000) in residential buurten. Source: Platform31, "Van
  pioniersstad naar werkstad" (Almere's economy in its residential neighbourhoods).
* Split of the other 45,000 jobs: 30,000 on business parks, 12,500 in the three centres, 2,500 in
  the rural buurten. Assumption.
* Establishments: 12,000 in residential buurten, 3,800 on business parks, 1,700 in centres, 900
  rural (18,400 in total). Assumption, chosen so that residential buurten hold many small firms.
* Establishments per buurt: proportional to CBS ``WONINGEN`` (homes) in residential buurten and
  to CBS ``OPP_LAND`` (land area) on business parks, in centres and in rural buurten.
* Home-based share of establishments: 48 % in residential buurten, 12 % in centres, 35 % rural,
  0 % on business parks. Assumption (issue target: 40-55 % in residential buurten, ~0 on parks).
* Size (werkzame personen): home-based 1 (86 %), 2 (10 %), 3 (3 %), 4 (1 %); other
  establishments have one person with probability 50 % (residential), 35 % (centre), 35 %
  (business park), 50 % (rural), otherwise ``2 + f * lognormal(0, sigma)`` with sigma 1.0, 1.4,
  1.5, 0.8 and caps 250, 2500, 1500, 150, ``f`` solved per area type to hit the job totals above.
  Most establishments thus have one werkzame persoon (as in CBS business counts, where one-person
  businesses are the large majority) and large employers sit on business parks and in centres.
  Assumption.
* Sector mix: a table of SBI 2008 codes with relative weights per context (home-based,
  residential, centre, business park, rural) and the largest size band each code may take
  (``_SBI_TABLE``). Assumption, following the issue: manufacturing and wholesale on business
  parks, retail and horeca in centres, business services, ICT, creative and personal services
  from home.
* Part-time werkzame personen: binomial with a share per SBI code (``_SBI_TABLE``). Assumption.
* Start year: 2023 minus an exponential age (mean 8 years home-based, 14 otherwise), not before
  1976 (Almere's first residents). Social enterprises: 1.2 % of non-home establishments in
  residential buurten and centres, 0.4 % elsewhere, 0.2 % of home-based ones. Assumption.
* Locations: every point lies inside its buurt (sampled 2 m inside the polygon, then rounded to
  1 m). Home-based points lie along synthetic streets (60-160 m segments on a grid turned per
  buurt, houses 8-15 m either side); retail, horeca, care and personal services in residential
  buurten cluster around the buurt point (its neighbourhood centre); centre establishments
  cluster around the centre's point; the rest is uniform over the buurt.

Area types use the ``[typology]`` rules of the settings (the shipped defaults: code suffix 99 =
rural, 71-79 = business park, name with "centrum" = centre, then the homes-per-ha rules).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_SEED",
    "DEMO_FILES",
    "build_buurt_geometry",
    "generate_businesses",
    "generate_candidates",
    "generate_demo_data",
    "load_buurt_facts",
    "wijken_from_demo_buurten",
]

import logging
from importlib import resources
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from .._schema import CRS_RD
from ..analysis.typology import area_typology
from ..settings import TypologySettings, load_settings

log = logging.getLogger("almere_gis")

DEFAULT_SEED = 20240601
REFERENCE_YEAR = 2023
# Fixed "last update" date written into every .dbf header, so the bytes do not depend on the day.
DBF_DATE = "2023-01-01"
CBS_MISSING = -99999997
GRID_M = 1.0

DEMO_FILES = (
    "demo_buurten.shp",
    "demo_buurten.shx",
    "demo_buurten.dbf",
    "demo_buurten.prj",
    "demo_buurten.cpg",
    "demo_wijken.shp",
    "demo_wijken.shx",
    "demo_wijken.dbf",
    "demo_wijken.prj",
    "demo_wijken.cpg",
    "demo_vestigingen.csv",
    "demo_kandidaatlocaties.shp",
    "demo_kandidaatlocaties.shx",
    "demo_kandidaatlocaties.dbf",
    "demo_kandidaatlocaties.prj",
    "demo_kandidaatlocaties.cpg",
    "README.md",
)

# ---------------------------------------------------------------------------------------------
# Calibration targets (see the module docstring for sources)
TOTAL_JOBS = 79_000
RESIDENTIAL_JOBS = 34_000
JOBS = {"wonen": RESIDENTIAL_JOBS, "bedrijventerrein": 30_000, "centrum": 12_500,
        "buitengebied": 2_500}  # fmt: skip
ESTABLISHMENTS = {"wonen": 12_000, "bedrijventerrein": 3_800, "centrum": 1_700,
                  "buitengebied": 900}  # fmt: skip
HOME_SHARE = {"wonen": 0.48, "bedrijventerrein": 0.0, "centrum": 0.12, "buitengebied": 0.35}
HOME_SIZES = (np.array([1, 2, 3, 4]), np.array([0.86, 0.10, 0.03, 0.01]))
SINGLE_SHARE = {"wonen": 0.50, "bedrijventerrein": 0.35, "centrum": 0.35, "buitengebied": 0.50}
SIZE_SIGMA = {"wonen": 1.0, "bedrijventerrein": 1.5, "centrum": 1.4, "buitengebied": 0.8}
SIZE_CAP = {"wonen": 250, "bedrijventerrein": 1500, "centrum": 2500, "buitengebied": 150}
SOCIAL_SHARE = {"home": 0.002, "wonen": 0.012, "centrum": 0.012, "other": 0.004}
START_AGE_MEAN = {"home": 8.0, "other": 14.0}
FIRST_YEAR = 1976

# Contexts of the SBI table: H home-based, W residential, C centre, B business park, R rural.
_CONTEXT = {"wonen": "W", "centrum": "C", "bedrijventerrein": "B", "buitengebied": "R"}
_BANDS = {"S": 10, "M": 100, "L": 10**9}  # largest size band: S < 10, M < 100, L any

# sbi, BAG gebruiksdoel, largest band, weights H W C B R, part-time share, name word
_SBI_TABLE = """\
0113|overige gebruiksfunctie|M|0|0|0|0|20|0.3|Kwekerij
0130|overige gebruiksfunctie|M|0|0|0|0|8|0.3|Boomkwekerij
0141|overige gebruiksfunctie|M|0|0|0|0|10|0.2|Melkveehouderij
0161|overige gebruiksfunctie|S|1|0|0|0|6|0.2|Loonwerk
1071|industriefunctie|L|0|2|2|6|1|0.4|Bakkerij
1623|industriefunctie|M|1|0|0|6|1|0.1|Timmerfabriek
1812|industriefunctie|M|1|0|0|5|0|0.2|Drukkerij
2229|industriefunctie|L|0|0|0|6|0|0.1|Kunststoffen
2511|industriefunctie|L|0|0|0|6|1|0.1|Staalbouw
2562|industriefunctie|M|0|0|0|6|0|0.1|Metaalbewerking
2825|industriefunctie|L|0|0|0|3|0|0.1|Koeltechniek
3109|industriefunctie|M|1|0|0|4|1|0.1|Meubelmakerij
3212|industriefunctie|S|2|0|1|1|0|0.3|Edelsmid
3250|industriefunctie|L|0|0|0|3|0|0.2|Medische Techniek
3299|industriefunctie|S|3|0|0|3|0|0.3|Makerij
3312|industriefunctie|M|0|0|0|4|0|0.1|Machineservice
4120|kantoorfunctie|L|4|2|0|8|3|0.1|Bouw
4321|industriefunctie|M|5|1|0|6|1|0.1|Elektrotechniek
4322|industriefunctie|M|4|1|0|6|1|0.1|Installatietechniek
4332|industriefunctie|S|5|0|0|3|1|0.1|Timmerwerken
4334|industriefunctie|S|7|1|0|2|1|0.1|Schildersbedrijf
4399|industriefunctie|M|6|1|0|5|1|0.1|Bouwservice
4511|winkelfunctie|M|0|0|0|6|0|0.2|Autobedrijf
4520|industriefunctie|M|1|1|0|8|1|0.1|Garage
4619|kantoorfunctie|S|4|0|1|2|0|0.2|Handelsagentuur
4639|industriefunctie|L|0|0|0|6|0|0.2|Foodgroothandel
4646|industriefunctie|L|0|0|0|4|0|0.2|Farmagroothandel
4651|industriefunctie|M|0|0|0|4|0|0.2|ICT Groothandel
4669|industriefunctie|M|0|0|0|5|0|0.2|Machinehandel
4673|industriefunctie|M|0|0|0|4|0|0.2|Bouwmaterialen
4690|industriefunctie|L|1|0|0|6|0|0.2|Groothandel
4711|winkelfunctie|M|0|5|6|1|0|0.7|Supermarkt
4724|winkelfunctie|S|0|2|2|0|0|0.6|Banketbakker
4741|winkelfunctie|S|0|1|2|1|0|0.5|Computerwinkel
4759|winkelfunctie|M|0|1|4|3|0|0.5|Woonwinkel
4771|winkelfunctie|M|0|2|14|1|0|0.6|Mode
4773|winkelfunctie|M|0|2|2|0|0|0.6|Apotheek
4776|winkelfunctie|S|0|1|2|0|1|0.5|Bloemen
4791|kantoorfunctie|S|10|1|1|2|1|0.3|Webwinkel
4932|kantoorfunctie|S|5|1|0|1|0|0.3|Taxi
4941|industriefunctie|L|1|0|0|7|1|0.1|Transport
5210|industriefunctie|L|0|0|0|6|0|0.1|Distributiecentrum
5229|kantoorfunctie|M|1|0|0|3|0|0.2|Expeditie
5320|industriefunctie|L|2|0|0|3|0|0.5|Koeriers
5510|logiesfunctie|M|0|0|2|1|2|0.5|Hotel
5610|bijeenkomstfunctie|M|0|3|16|2|1|0.6|Eetcafe
5621|bijeenkomstfunctie|S|2|1|1|1|0|0.5|Catering
5630|bijeenkomstfunctie|S|0|1|6|0|1|0.6|Cafe
5829|kantoorfunctie|M|4|0|2|2|0|0.2|Software
5911|kantoorfunctie|S|3|0|1|0|0|0.3|Filmproducties
6201|kantoorfunctie|L|12|1|4|4|0|0.15|IT Solutions
6202|kantoorfunctie|M|8|0|3|2|0|0.15|IT Advies
6209|kantoorfunctie|M|4|0|1|2|0|0.2|Systeembeheer
6312|kantoorfunctie|S|2|0|1|0|0|0.2|Online Media
6419|kantoorfunctie|L|0|0|2|1|0|0.2|Bank
6622|kantoorfunctie|M|3|1|3|1|0|0.3|Assurantien
6820|kantoorfunctie|S|2|1|2|1|0|0.3|Vastgoed
6831|kantoorfunctie|S|2|1|3|1|0|0.3|Makelaardij
6910|kantoorfunctie|M|2|0|3|1|0|0.3|Advocatuur
6920|kantoorfunctie|M|6|1|3|2|0|0.3|Administratie
7021|kantoorfunctie|S|3|0|1|0|0|0.3|Communicatie
7022|kantoorfunctie|M|14|1|4|3|0|0.2|Advies
7111|kantoorfunctie|M|4|0|2|1|0|0.2|Architecten
7112|kantoorfunctie|L|4|0|2|3|0|0.15|Ingenieurs
7311|kantoorfunctie|M|3|0|2|1|0|0.3|Reclame
7410|kantoorfunctie|S|7|0|1|1|0|0.3|Ontwerp
7420|kantoorfunctie|S|4|0|1|0|0|0.4|Fotografie
7430|kantoorfunctie|S|3|0|0|0|0|0.5|Vertalingen
7490|kantoorfunctie|S|6|0|1|1|0|0.3|Projectbureau
7500|gezondheidszorgfunctie|S|0|1|0|0|1|0.4|Dierenarts
7711|kantoorfunctie|M|0|0|1|2|0|0.2|Autoverhuur
7820|kantoorfunctie|L|1|0|3|2|0|0.3|Uitzendbureau
8121|kantoorfunctie|L|3|1|1|4|0|0.7|Schoonmaak
8130|industriefunctie|M|3|0|0|2|2|0.3|Hoveniers
8211|kantoorfunctie|S|4|0|1|0|0|0.5|Officeservice
8299|kantoorfunctie|L|4|0|1|2|0|0.4|Klantcontact
8411|kantoorfunctie|L|0|0|2|1|0|0.3|Overheidsdienst
8520|onderwijsfunctie|M|0|6|0|0|0|0.6|Basisschool
8531|onderwijsfunctie|L|0|1|1|0|0|0.5|College
8559|onderwijsfunctie|S|6|1|1|1|0|0.6|Trainingen
8610|gezondheidszorgfunctie|L|0|0|1|0|0|0.5|Ziekenhuis
8621|gezondheidszorgfunctie|M|0|3|2|0|0|0.5|Huisartsen
8623|gezondheidszorgfunctie|M|0|2|1|0|0|0.5|Tandartsen
8690|gezondheidszorgfunctie|S|10|3|2|1|0|0.6|Zorgpraktijk
8710|gezondheidszorgfunctie|L|0|2|0|0|1|0.7|Zorgcentrum
8810|kantoorfunctie|M|3|2|1|0|0|0.7|Thuiszorg
8891|bijeenkomstfunctie|M|3|3|0|0|0|0.7|Kinderopvang
9001|bijeenkomstfunctie|S|3|0|1|0|0|0.5|Theaterproducties
9003|kantoorfunctie|S|9|0|1|0|0|0.5|Atelier
9101|bijeenkomstfunctie|M|0|0|1|0|0|0.6|Bibliotheek
9311|sportfunctie|M|0|2|0|1|1|0.6|Sportpark
9313|sportfunctie|M|1|1|1|2|0|0.6|Fitness
9499|bijeenkomstfunctie|S|3|1|1|0|0|0.6|Vereniging
9511|industriefunctie|S|2|0|1|1|0|0.3|Reparaties
9602|winkelfunctie|S|9|3|4|0|0|0.5|Kapsalon
9604|sportfunctie|S|6|1|1|0|0|0.5|Wellness
9609|winkelfunctie|S|6|1|1|0|0|0.5|Persoonlijke Service
"""

# Divisions whose non-home establishments in residential buurten sit in the neighbourhood
# centre (shops, horeca, care practices, personal services).
_CENTRE_DIVISIONS = (47, 56, 86, 96)

_NAME_PREFIXES = (
    "Almeerse", "Flevo", "Polder", "Weerwater", "Nieuwland", "Horizon", "Lepelaar", "Kemphaan",
    "Noorderlicht", "Vaart", "Groenland", "Blauwe Zee", "Oosterlicht", "Westwind", "Zonnewijzer",
    "Eiland", "Kade", "Havenkwartier", "Molenwiek", "Linde", "Wilgen", "Berken", "Essen",
    "Meerkoet", "Gooimeer", "IJmeer", "Pionier", "Spoorzicht", "Lumen", "Atelier Noord",
    "De Rietkraag", "Het Baken", "De Kolk", "Stadsvaart", "Koploper", "Nieuwe Maan", "Vogelvlucht",
    "Waterlelie",
)  # fmt: skip
_LEGAL_SUFFIXES = ("", "", " B.V.", " V.O.F.")

# Candidate sites
N_CANDIDATES = {
    "kantoor_leeg": 35,
    "winkelruimte": 30,
    "voormalige_school": 25,
    "bedrijfsverzamelgebouw": 30,
    "gemeentelijk_vastgoed": 30,
}
N_CANDIDATES_NO_FLOOR_AREA = 5
# share placed in centres / at business-park edges / in neighbourhood centres
_CANDIDATE_PLACES = {
    "kantoor_leeg": (0.5, 0.5, 0.0),
    "winkelruimte": (0.4, 0.0, 0.6),
    "voormalige_school": (0.0, 0.0, 1.0),
    "bedrijfsverzamelgebouw": (0.0, 1.0, 0.0),
    "gemeentelijk_vastgoed": (0.4, 0.0, 0.6),
}
_FLOOR_AREA = {  # median m2, lognormal sigma
    "kantoor_leeg": (1500.0, 0.8),
    "winkelruimte": (250.0, 0.7),
    "voormalige_school": (1800.0, 0.4),
    "bedrijfsverzamelgebouw": (2500.0, 0.6),
    "gemeentelijk_vastgoed": (600.0, 0.8),
}
_OWNERSHIP = ("gemeente", "corporatie", "particulier", "belegger")
_OWNERSHIP_P = {
    "kantoor_leeg": (0.05, 0.0, 0.35, 0.60),
    "winkelruimte": (0.0, 0.10, 0.45, 0.45),
    "voormalige_school": (0.70, 0.20, 0.10, 0.0),
    "bedrijfsverzamelgebouw": (0.20, 0.0, 0.50, 0.30),
    "gemeentelijk_vastgoed": (1.0, 0.0, 0.0, 0.0),
}
_CANDIDATE_LABEL = {
    "kantoor_leeg": "Leeg kantoor",
    "winkelruimte": "Winkelruimte",
    "voormalige_school": "Voormalige school",
    "bedrijfsverzamelgebouw": "Bedrijfsverzamelgebouw",
    "gemeentelijk_vastgoed": "Gemeentelijk pand",
}
EDGE_M = 150.0  # "edge of a business park": within this distance of its boundary
NEIGHBOURHOOD_SD_M = 150.0


# ---------------------------------------------------------------------------------------------
# Facts and area types


def load_buurt_facts() -> pd.DataFrame:
    """The CBS figures of Almere's 63 buurten shipped with the package.

    Returns
    -------
    DataFrame
        buurt_code, buurt_name, wijk_code, wijk_name, gemeente_code (str); inhabitants,
        households, homes, area_total_ha, area_land_ha, area_water_ha (Int64, <NA> where CBS
        published a sentinel); dist_train_km (float, NaN where missing); centroid_x, centroid_y
        (int, RD metres, a point inside the buurt); centroid_kind (str).

    Examples
    --------
    >>> facts = load_buurt_facts()
    >>> len(facts), int(facts["inhabitants"].sum())
    (63, 190665)
    """
    text = (
        resources.files("almere_gis.datasets")
        .joinpath("data/almere_buurten_cbs.csv")
        .read_text("utf-8")
    )
    ints = ["inhabitants", "households", "homes", "area_total_ha", "area_land_ha", "area_water_ha"]
    dtypes = {c: "Int64" for c in ints} | {
        c: str for c in ("buurt_code", "buurt_name", "wijk_code", "wijk_name", "gemeente_code")
    }
    return pd.read_csv(StringIO(text), dtype=dtypes)


def _area_types(facts: pd.DataFrame, typology: TypologySettings) -> np.ndarray:
    """Area type per buurt by the ``[typology]`` rules, exactly as the analysis assigns them."""
    return area_typology(facts, typology).to_numpy(dtype=object)


# ---------------------------------------------------------------------------------------------
# Geometry: outline and power diagram


def _outline(xy: np.ndarray, area_m2: np.ndarray, *, closing_m: float = 300.0) -> shapely.Polygon:
    """Municipal outline from discs of each buurt's area, scaled to the total area."""

    def make(scale: float) -> shapely.Polygon:
        discs = shapely.buffer(shapely.points(xy), scale * np.sqrt(area_m2 / np.pi), quad_segs=8)
        merged = shapely.buffer(shapely.union_all(discs), closing_m, quad_segs=8)
        merged = shapely.buffer(merged, -closing_m, quad_segs=8)
        if merged.geom_type == "MultiPolygon":  # keep the largest part
            merged = max(merged.geoms, key=lambda g: g.area)
        return shapely.Polygon(merged.exterior)

    lo, hi = 0.3, 3.0
    for _ in range(40):  # 2.7 / 2**40: far below the 1 m grid
        mid = (lo + hi) / 2
        if make(mid).area < area_m2.sum():
            lo = mid
        else:
            hi = mid
    return make((lo + hi) / 2)


def _clip_halfplane(
    poly: np.ndarray, tags: np.ndarray, a: np.ndarray, b: float, tag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Clip a convex polygon (vertices, tag of the edge leaving each vertex) to ``a.x <= b``."""
    s = poly @ a - b
    inside = s <= 0
    if inside.all():
        return poly, tags
    if not inside.any():
        return poly[:0], tags[:0]
    out: list[np.ndarray] = []
    out_tags: list[int] = []
    m = len(poly)
    for k in range(m):
        k2 = (k + 1) % m
        if inside[k]:
            out.append(poly[k])
            out_tags.append(int(tags[k]))
            if not inside[k2]:
                t = s[k] / (s[k] - s[k2])
                out.append(poly[k] + t * (poly[k2] - poly[k]))
                out_tags.append(tag)
        elif inside[k2]:
            t = s[k] / (s[k] - s[k2])
            out.append(poly[k] + t * (poly[k2] - poly[k]))
            out_tags.append(int(tags[k]))
    return np.array(out), np.array(out_tags)


def _power_cells(
    xy: np.ndarray, weights: np.ndarray, outline: shapely.Polygon
) -> tuple[np.ndarray, np.ndarray]:
    """Power-diagram cells clipped to the outline, and the shared edge length matrix."""
    n = len(xy)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    sq = (xy**2).sum(1)
    x0, y0, x1, y1 = outline.bounds
    box = np.array([[x0 - 1, y0 - 1], [x1 + 1, y0 - 1], [x1 + 1, y1 + 1], [x0 - 1, y1 + 1]])
    cells = np.empty(n, dtype=object)
    shared = np.zeros((n, n))
    for i in range(n):  # 63 buurten: a loop over areas, not over businesses
        poly, tags = box.copy(), np.full(4, -1)
        for j in np.argsort(dist[i], kind="stable"):
            if j == i:
                continue
            a = 2.0 * (xy[j] - xy[i])
            b = sq[j] - sq[i] + weights[i] - weights[j]
            poly, tags = _clip_halfplane(poly, tags, a, b, int(j))
            if len(poly) == 0:
                break
        if len(poly) < 3:
            cells[i] = shapely.Polygon()
            continue
        cells[i] = shapely.polygons(poly)
        edges = shapely.linestrings(np.stack([poly, np.roll(poly, -1, axis=0)], axis=1))
        lengths = shapely.length(shapely.intersection(edges, outline))
        np.add.at(shared[i], tags[tags >= 0], lengths[tags >= 0])
    return shapely.intersection(cells, outline), (shared + shared.T) / 2


def _tune_weights(
    xy: np.ndarray,
    target_m2: np.ndarray,
    outline: shapely.Polygon,
    *,
    iterations: int = 5,
    step: float = 0.7,
    margin: float = 0.9,
    neighbour_m: float = 1500.0,
) -> np.ndarray:
    """Power weights whose cells approach the target areas, each point kept in its own cell.

    Each iteration linearises the cell areas in the weights (d area_i / d w_j from the shared
    edge lengths) and solves a small constrained least-squares problem on relative area errors
    with ``w_j - w_i <= margin * d_ij**2`` for neighbouring pairs (the condition for point i to
    lie in cell i).
    """
    n = len(xy)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    weights = np.zeros(n)
    scale = 1e5  # m2: keeps the optimiser's variables near 1
    for _ in range(iterations):
        cells, shared = _power_cells(xy, weights, outline)
        area = shapely.area(cells)
        k = shared / (2.0 * np.where(dist > 0, dist, 1.0))
        np.fill_diagonal(k, 0.0)
        jac = (np.diag(k.sum(1)) - k) * scale
        pairs = (shared > 0) | (dist < neighbour_m)
        np.fill_diagonal(pairs, False)
        ii, jj = np.nonzero(pairs)
        g = np.zeros((len(ii), n))
        g[np.arange(len(ii)), jj] = 1.0
        g[np.arange(len(ii)), ii] = -1.0
        bound = margin * dist[ii, jj] ** 2
        w0 = weights.copy()

        def objective(u: np.ndarray, area: np.ndarray = area, jac: np.ndarray = jac):
            r = (area + jac @ u - target_m2) / target_m2
            return float(r @ r), 2.0 * (jac.T @ (r / target_m2))

        constraint = {
            "type": "ineq",
            "fun": lambda u, g=g, b=bound, w0=w0: (b - g @ (w0 + scale * u)) / scale,
            "jac": lambda u, g=g: -g,
        }
        # One BLAS thread: the problem is small, threads only add contention on a busy machine
        # (measured 10x slower), and a fixed thread count keeps the floating-point order fixed.
        with threadpool_limits(limits=1):
            res = minimize(
                objective,
                np.zeros(n),
                jac=True,
                constraints=[constraint],
                method="SLSQP",
                options={"maxiter": 300},
            )
        weights = weights + step * scale * res.x
        weights -= weights.mean()
    return weights


def _on_grid(geoms: np.ndarray | shapely.Geometry) -> np.ndarray | shapely.Geometry:
    """Snap to the 1 m grid, then drop the fixed precision model GEOS attaches to the result
    (a WKB round trip), so later operations (negative buffers) run in full precision."""
    return shapely.from_wkb(shapely.to_wkb(shapely.set_precision(geoms, GRID_M)))


def build_buurt_geometry(facts: pd.DataFrame) -> gpd.GeoDataFrame:
    """Approximate buurt polygons in the old upper-case CBS schema.

    Parameters
    ----------
    facts
        As returned by :func:`load_buurt_facts`.

    Returns
    -------
    GeoDataFrame
        BU_CODE, BU_NAAM, WK_CODE, WK_NAAM, GM_CODE, GM_NAAM, AANT_INW, AANTAL_HH, WONINGEN,
        OPP_TOT, OPP_LAND, OPP_WATER (int, CBS figures, ``-99999997`` where missing as in old CBS
        files), AF_TREINST (float km, ``-99999997`` where missing), geometry (Polygon,
        EPSG:28992, on a 1 m grid); one row per buurt in the order of ``facts``.
    """
    xy = facts[["centroid_x", "centroid_y"]].to_numpy(dtype="float64")
    target = facts["area_land_ha"].astype("float64").to_numpy() * 1e4
    outline = _outline(xy, target)
    weights = _tune_weights(xy, target, outline)
    cells, _ = _power_cells(xy, weights, outline)
    cells = _on_grid(cells)
    ints = {
        "AANT_INW": "inhabitants",
        "AANTAL_HH": "households",
        "WONINGEN": "homes",
        "OPP_TOT": "area_total_ha",
        "OPP_LAND": "area_land_ha",
        "OPP_WATER": "area_water_ha",
    }
    data: dict[str, object] = {
        "BU_CODE": facts["buurt_code"].astype(str).to_numpy(),
        "BU_NAAM": facts["buurt_name"].astype(str).to_numpy(),
        "WK_CODE": facts["wijk_code"].astype(str).to_numpy(),
        "WK_NAAM": facts["wijk_name"].astype(str).to_numpy(),
        "GM_CODE": facts["gemeente_code"].astype(str).to_numpy(),
        "GM_NAAM": np.full(len(facts), "Almere", dtype=object),
    }
    for col, src in ints.items():
        data[col] = facts[src].astype("Int64").fillna(CBS_MISSING).astype("int64").to_numpy()
    data["AF_TREINST"] = facts["dist_train_km"].astype("float64").fillna(CBS_MISSING).to_numpy()
    return gpd.GeoDataFrame(data, geometry=cells, crs=CRS_RD)


def wijken_from_demo_buurten(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve demo buurten (old CBS schema) into wijken, summing the known counts and areas.

    Returns
    -------
    GeoDataFrame
        WK_CODE, WK_NAAM, GM_CODE, GM_NAAM, AANT_INW, AANTAL_HH, WONINGEN, OPP_TOT, OPP_LAND,
        OPP_WATER (sums of the buurt figures, sentinels left out), geometry; sorted by WK_CODE.
    """
    sums = ["AANT_INW", "AANTAL_HH", "WONINGEN", "OPP_TOT", "OPP_LAND", "OPP_WATER"]
    values = buurten[sums].where(buurten[sums] > -99995, 0)
    table = pd.concat([buurten[["WK_CODE", "WK_NAAM", "GM_CODE", "GM_NAAM"]], values], axis=1)
    out = table.groupby("WK_CODE", sort=True).agg(
        {"WK_NAAM": "first", "GM_CODE": "first", "GM_NAAM": "first"} | dict.fromkeys(sums, "sum")
    )
    geoms = [
        _on_grid(
            shapely.union_all(buurten.geometry.to_numpy()[buurten["WK_CODE"].to_numpy() == code])
        )
        for code in out.index
    ]
    out = out.reset_index()
    for col in sums:
        out[col] = out[col].astype("int64")
    return gpd.GeoDataFrame(out, geometry=geoms, crs=buurten.crs)


# ---------------------------------------------------------------------------------------------
# Points


def _sbi_table() -> pd.DataFrame:
    cols = ["sbi", "gebruiksdoel", "band", "H", "W", "C", "B", "R", "parttime", "word"]
    table = pd.read_csv(StringIO(_SBI_TABLE), sep="|", names=cols, dtype={"sbi": str})
    return table


def _buurt_points(buurten: gpd.GeoDataFrame, shrunk: np.ndarray) -> np.ndarray:
    """The CBS buurt point (neighbourhood centre) per buurt, or a point inside the polygon for
    buurten not in the shipped facts table."""
    facts = load_buurt_facts().set_index("buurt_code")
    codes = buurten["BU_CODE"].astype(str)
    xy = np.column_stack(
        [
            codes.map(facts["centroid_x"]).to_numpy(dtype="float64", na_value=np.nan),
            codes.map(facts["centroid_y"]).to_numpy(dtype="float64", na_value=np.nan),
        ]
    )
    missing = np.isnan(xy).any(axis=1)
    if missing.any():
        xy[missing] = shapely.get_coordinates(shapely.point_on_surface(shrunk[missing]))
    return xy


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (ties by position)."""
    weights = np.asarray(weights, dtype="float64")
    if total == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype="int64")
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype("int64")
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _sample_uniform(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform points inside ``poly`` by bulk rejection sampling."""
    if n == 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = poly.bounds
    frac = max(poly.area / ((x1 - x0) * (y1 - y0)), 0.01)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int((n - len(out)) / frac * 1.3) + 16
        cand = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
        out = np.vstack([out, cand])
    return out[:n]


def _sample_cluster(
    poly: shapely.Geometry, centre: np.ndarray, sd_m: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` points around ``centre`` (normal, sd ``sd_m``) inside ``poly``."""
    out = np.empty((0, 2))
    for _ in range(20):
        if len(out) >= n:
            break
        m = 2 * (n - len(out)) + 16
        cand = centre + rng.normal(0.0, sd_m, size=(m, 2))
        cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
        out = np.vstack([out, cand])
    if len(out) < n:  # a thin polygon around the centre: top up uniformly
        out = np.vstack([out, _sample_uniform(poly, n - len(out), rng)])
    return out[:n]


def _sample_streets(
    poly: shapely.Geometry, n: int, rng: np.random.Generator, *, n_streets: int
) -> np.ndarray:
    """``n`` points along synthetic housing blocks: short streets on a grid turned per buurt."""
    if n == 0:
        return np.empty((0, 2))
    angle = rng.uniform(0.0, np.pi / 2)
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for _ in range(50):
        if sum(len(s) for s in starts) >= n_streets:
            break
        m = 2 * n_streets
        mid = _sample_uniform(poly, m, rng)
        theta = angle + (np.pi / 2) * rng.integers(0, 2, m)
        half = rng.uniform(30.0, 80.0, m)[:, None]
        d = np.column_stack([np.cos(theta), np.sin(theta)]) * half
        a, b = mid - d, mid + d
        ok = shapely.contains_xy(poly, a[:, 0], a[:, 1]) & shapely.contains_xy(
            poly, b[:, 0], b[:, 1]
        )
        starts.append(a[ok])
        ends.append(b[ok])
    a = np.vstack(starts)[:n_streets]
    b = np.vstack(ends)[:n_streets]
    if len(a) == 0:
        return _sample_uniform(poly, n, rng)
    length = np.hypot(*(b - a).T)
    out = np.empty((0, 2))
    for _ in range(50):
        if len(out) >= n:
            break
        m = 2 * (n - len(out)) + 16
        k = rng.choice(len(a), size=m, p=length / length.sum())
        t = rng.uniform(0.0, 1.0, m)[:, None]
        along = (b[k] - a[k]) / length[k][:, None]
        normal = np.column_stack([-along[:, 1], along[:, 0]])
        side = np.where(rng.random(m) < 0.5, -1.0, 1.0)[:, None]
        offset = side * rng.uniform(8.0, 15.0, m)[:, None]
        cand = a[k] + t * (b[k] - a[k]) + normal * offset + rng.normal(0.0, 2.0, (m, 2))
        cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
        out = np.vstack([out, cand])
    if len(out) < n:
        out = np.vstack([out, _sample_uniform(poly, n - len(out), rng)])
    return out[:n]


def _job_sizes(kind: str, n_multi: int, jobs_needed: int, rng: np.random.Generator) -> np.ndarray:
    """Sizes >= 2 for ``n_multi`` establishments summing (almost exactly) to ``jobs_needed``."""
    if n_multi == 0:
        return np.zeros(0, dtype="int64")
    x = rng.lognormal(0.0, SIZE_SIGMA[kind], n_multi)
    cap = SIZE_CAP[kind]

    def sizes(f: float) -> np.ndarray:
        return np.minimum(2 + np.floor(f * x), cap).astype("int64")

    lo, hi = 0.0, 1e4
    for _ in range(80):
        mid = (lo + hi) / 2
        if sizes(mid).sum() < jobs_needed:
            lo = mid
        else:
            hi = mid
    out = sizes(hi)
    # remove the few jobs of overshoot from the largest establishments, deterministically
    extra = int(out.sum() - jobs_needed)
    if extra > 0:
        order = np.argsort(-out, kind="stable")[:extra]
        out[order] -= 1
    return out


def generate_businesses(
    buurten: gpd.GeoDataFrame,
    *,
    seed: int = DEFAULT_SEED,
    typology: TypologySettings | None = None,
) -> pd.DataFrame:
    """A synthetic LISA-style business register for the demo buurten.

    Parameters
    ----------
    buurten
        Demo buurten in the old CBS schema (:func:`build_buurt_geometry`).
    seed
        Seed of the random generator; the same seed gives the same table.
    typology
        Area-type rules; default: the shipped ``[typology]`` settings.

    Returns
    -------
    DataFrame
        vestigingsnummer (12-digit str, unique, with leading zeros), handelsnaam, sbi (4-digit
        str), wp_voltijd, wp_deeltijd (int), aan_huis (0/1), gebruiksdoel (BAG, ";"-separated),
        startjaar (int), sociale_onderneming (0/1), x, y (int, RD metres); sorted by
        vestigingsnummer, index 0..n-1.
    """
    typology = typology or load_settings().typology
    rng = np.random.default_rng(seed)
    facts = pd.DataFrame(
        {
            "buurt_code": buurten["BU_CODE"].astype(str),
            "buurt_name": buurten["BU_NAAM"].astype(str),
            "homes": buurten["WONINGEN"].where(buurten["WONINGEN"] > -99995, 0),
            "area_land_ha": buurten["OPP_LAND"].where(buurten["OPP_LAND"] > -99995, 0),
        }
    )
    kinds = _area_types(facts, typology)
    homes = facts["homes"].to_numpy(dtype="float64")
    land = facts["area_land_ha"].to_numpy(dtype="float64")
    n_per = np.zeros(len(facts), dtype="int64")
    for kind, total in ESTABLISHMENTS.items():
        sel = kinds == kind
        basis = homes if kind == "wonen" else land
        n_per[sel] = _largest_remainder(basis[sel], total)
    n_home = np.round(n_per * np.array([HOME_SHARE[k] for k in kinds])).astype("int64")

    table = _sbi_table()
    shrunk = shapely.buffer(buurten.geometry.to_numpy(), -2.0)
    point = _buurt_points(buurten, shrunk)
    parts: list[pd.DataFrame] = []
    for kind in ESTABLISHMENTS:  # four area types
        idx = np.flatnonzero(kinds == kind)
        home_n = n_home[idx]
        other_n = n_per[idx] - home_n
        # sizes: home-based, single-person and multi-person others; jobs total calibrated
        h_sizes = rng.choice(HOME_SIZES[0], size=int(home_n.sum()), p=HOME_SIZES[1])
        single = rng.random(int(other_n.sum())) < SINGLE_SHARE[kind]
        needed = JOBS[kind] - int(h_sizes.sum()) - int(single.sum())
        o_sizes = np.ones(int(other_n.sum()), dtype="int64")
        o_sizes[~single] = _job_sizes(kind, int((~single).sum()), needed, rng)
        sizes = np.concatenate([h_sizes, o_sizes])
        home = np.concatenate([np.ones(len(h_sizes), bool), np.zeros(len(o_sizes), bool)])
        buurt = np.concatenate([np.repeat(idx, home_n), np.repeat(idx, other_n)])
        parts.append(pd.DataFrame({"buurt": buurt, "home": home, "size": sizes, "kind": kind}))
    est = pd.concat(parts, ignore_index=True)
    n = len(est)

    # SBI by context and size band (a loop over the 5 x 3 combinations, not over rows)
    context = np.where(est["home"], "H", est["kind"].map(_CONTEXT).to_numpy())
    band = np.select([est["size"] < 10, est["size"] < 100], ["S", "M"], "L")
    band_rank = {"S": 0, "M": 1, "L": 2}
    table_rank = table["band"].map(band_rank).to_numpy()
    row = np.full(n, -1, dtype="int64")
    for ctx in ("H", "W", "C", "B", "R"):
        for bnd, rank in band_rank.items():
            sel = np.flatnonzero((context == ctx) & (band == bnd))
            if len(sel) == 0:
                continue
            w = table[ctx].to_numpy(dtype="float64") * (table_rank >= rank)
            if w.sum() == 0:  # no code takes this size here: fall back to any size
                w = table[ctx].to_numpy(dtype="float64")
            row[sel] = rng.choice(len(table), size=len(sel), p=w / w.sum())
    sbi = table["sbi"].to_numpy()[row]
    parttime = rng.binomial(est["size"].to_numpy(), table["parttime"].to_numpy()[row])

    # BAG gebruiksdoel: woonfunctie for home-based; otherwise the code's own, sometimes mixed
    doel = table["gebruiksdoel"].to_numpy(dtype=object)[row]
    mixed = (~est["home"].to_numpy()) & (rng.random(n) < 0.08) & (doel != "kantoorfunctie")
    doel = np.where(mixed, np.char.add("kantoorfunctie;", doel.astype(str)), doel)
    doel = np.where(est["home"].to_numpy(), "woonfunctie", doel)

    age_mean = np.where(est["home"], START_AGE_MEAN["home"], START_AGE_MEAN["other"])
    start = np.maximum(REFERENCE_YEAR - np.floor(rng.exponential(age_mean)), FIRST_YEAR)
    social_p = np.where(
        est["home"],
        SOCIAL_SHARE["home"],
        np.where(
            est["kind"].isin(["wonen", "centrum"]), SOCIAL_SHARE["wonen"], SOCIAL_SHARE["other"]
        ),
    )
    social = rng.random(n) < social_p

    # locations: per buurt, by context
    xy = np.zeros((n, 2))
    division = np.array([int(s[:2]) for s in table["sbi"]])[row]
    near_centre = np.isin(division, _CENTRE_DIVISIONS)
    buurt_idx = est["buurt"].to_numpy()
    home_arr = est["home"].to_numpy()
    for b in np.unique(buurt_idx):  # loop over 63 buurten; points drawn in bulk
        poly = shrunk[b]
        kind = kinds[b]
        sel_home = np.flatnonzero((buurt_idx == b) & home_arr)
        n_streets = max(4, int(homes[b] / 40))
        xy[sel_home] = _sample_streets(poly, len(sel_home), rng, n_streets=n_streets)
        others = (buurt_idx == b) & ~home_arr
        if kind == "centrum":
            sd = 0.35 * np.sqrt(poly.area)
            sel = np.flatnonzero(others)
            xy[sel] = _sample_cluster(poly, point[b], sd, len(sel), rng)
        elif kind == "wonen":
            sel = np.flatnonzero(others & near_centre)
            xy[sel] = _sample_cluster(poly, point[b], NEIGHBOURHOOD_SD_M, len(sel), rng)
            sel = np.flatnonzero(others & ~near_centre)
            xy[sel] = _sample_uniform(poly, len(sel), rng)
        else:
            sel = np.flatnonzero(others)
            xy[sel] = _sample_uniform(poly, len(sel), rng)

    ids = rng.integers(10**7, 10**11, size=n)
    while len(np.unique(ids)) < n:
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        ids[dup] = rng.integers(10**7, 10**11, size=len(dup))
    prefix = np.array(_NAME_PREFIXES, dtype=object)[rng.integers(0, len(_NAME_PREFIXES), n)]
    suffix = np.array(_LEGAL_SUFFIXES, dtype=object)[rng.integers(0, len(_LEGAL_SUFFIXES), n)]
    suffix = np.where(home_arr, "", suffix)
    word = table["word"].to_numpy(dtype=object)[row]
    name = pd.Series(prefix).str.cat(pd.Series(word), sep=" ").str.cat(pd.Series(suffix))

    out = pd.DataFrame(
        {
            "vestigingsnummer": pd.Series(ids).map("{:012d}".format),
            "handelsnaam": name,
            "sbi": sbi,
            "wp_voltijd": est["size"].to_numpy() - parttime,
            "wp_deeltijd": parttime,
            "aan_huis": home_arr.astype("int64"),
            "gebruiksdoel": doel,
            "startjaar": start.astype("int64"),
            "sociale_onderneming": social.astype("int64"),
            "x": np.round(xy[:, 0]).astype("int64"),
            "y": np.round(xy[:, 1]).astype("int64"),
        }
    )
    return out.sort_values("vestigingsnummer", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Candidate sites


def generate_candidates(
    buurten: gpd.GeoDataFrame,
    *,
    seed: int = DEFAULT_SEED,
    typology: TypologySettings | None = None,
) -> gpd.GeoDataFrame:
    """Synthetic candidate broedplaats sites (points).

    Placed in centres (around the centre's point), at the edges of business parks (within
    ``EDGE_M`` of the park's boundary) and in neighbourhood centres of residential buurten
    (around the buurt point, sd ``NEIGHBOURHOOD_SD_M``).

    Returns
    -------
    GeoDataFrame
        site_id, naam, type, vloer_m2 (Int64, a few <NA>), leeg_sinds (Int64 year or <NA>),
        leegstand (float 0-1), eigendom, geometry (Point, EPSG:28992, 1 m grid).
    """
    typology = typology or load_settings().typology
    rng = np.random.default_rng(seed + 1)
    facts = pd.DataFrame(
        {
            "buurt_code": buurten["BU_CODE"].astype(str),
            "buurt_name": buurten["BU_NAAM"].astype(str),
            "homes": buurten["WONINGEN"].where(buurten["WONINGEN"] > -99995, 0),
            "area_land_ha": buurten["OPP_LAND"].where(buurten["OPP_LAND"] > -99995, 0),
        }
    )
    kinds = _area_types(facts, typology)
    shrunk = shapely.buffer(buurten.geometry.to_numpy(), -2.0)
    point = _buurt_points(buurten, shrunk)
    homes = facts["homes"].to_numpy(dtype="float64")
    land = facts["area_land_ha"].to_numpy(dtype="float64")
    pools = {
        0: (np.flatnonzero(kinds == "centrum"), land),
        1: (np.flatnonzero(kinds == "bedrijventerrein"), land),
        2: (np.flatnonzero(kinds == "wonen"), homes),
    }
    rows = []
    for site_type, count in N_CANDIDATES.items():
        place = rng.choice(3, size=count, p=_CANDIDATE_PLACES[site_type])
        for p in range(3):
            k = int((place == p).sum())
            if k == 0:
                continue
            idx, basis = pools[p]
            chosen = rng.choice(idx, size=k, p=basis[idx] / basis[idx].sum())
            for b in np.unique(chosen):
                m = int((chosen == b).sum())
                poly = shrunk[b]
                if p == 0:
                    pts = _sample_cluster(poly, point[b], 0.3 * np.sqrt(poly.area), m, rng)
                elif p == 1:
                    edge = shapely.difference(poly, shapely.buffer(poly, -EDGE_M))
                    pts = _sample_uniform(edge, m, rng)
                else:
                    pts = _sample_cluster(poly, point[b], NEIGHBOURHOOD_SD_M, m, rng)
                rows.append(
                    pd.DataFrame(
                        {
                            "type": site_type,
                            "buurt": b,
                            "x": np.round(pts[:, 0]),
                            "y": np.round(pts[:, 1]),
                        }
                    )
                )
    sites = pd.concat(rows, ignore_index=True)
    sites = sites.sort_values(["type", "buurt", "x", "y"], kind="stable").reset_index(drop=True)
    n = len(sites)
    site_type = sites["type"].to_numpy()
    median = np.array([_FLOOR_AREA[t][0] for t in site_type])
    sigma = np.array([_FLOOR_AREA[t][1] for t in site_type])
    floor = np.round(median * np.exp(rng.normal(0.0, 1.0, n) * sigma) / 10.0) * 10.0
    floor = pd.array(np.maximum(floor, 40).astype("int64"), dtype="Int64")
    floor[rng.choice(n, size=N_CANDIDATES_NO_FLOOR_AREA, replace=False)] = pd.NA
    fully = np.isin(site_type, ["kantoor_leeg", "voormalige_school"]) & (rng.random(n) < 0.6)
    share = np.round(rng.uniform(0.05, 0.95, n) / 0.05) * 0.05
    in_use = (site_type == "gemeentelijk_vastgoed") & (rng.random(n) < 0.25)
    leegstand = np.round(np.where(fully, 1.0, np.where(in_use, 0.0, share)), 2)
    since = pd.array(REFERENCE_YEAR - rng.integers(0, 12, n), dtype="Int64")
    since[(leegstand == 0) | (rng.random(n) < 0.15)] = pd.NA
    owner_idx = np.array(
        [rng.choice(len(_OWNERSHIP), p=_OWNERSHIP_P[t]) for t in site_type]
    )  # 150 sites: a loop is fine here
    names = sites["buurt"].map(facts["buurt_name"]).to_numpy()
    label = np.array([_CANDIDATE_LABEL[t] for t in site_type], dtype=object)
    number = sites.groupby(["type", "buurt"]).cumcount().to_numpy() + 1
    naam = (
        pd.Series(label)
        .str.cat(pd.Series(names), sep=" ")
        .str.cat(pd.Series(number).astype(str), sep=" ")
    )
    out = gpd.GeoDataFrame(
        {
            "site_id": [f"K{i:03d}" for i in range(1, n + 1)],
            "naam": naam.to_numpy(),
            "type": site_type,
            "vloer_m2": floor,
            "leeg_sinds": since,
            "leegstand": leegstand,
            "eigendom": np.array(_OWNERSHIP, dtype=object)[owner_idx],
        },
        geometry=shapely.points(sites["x"].to_numpy(), sites["y"].to_numpy()),
        crs=CRS_RD,
    )
    return out


# ---------------------------------------------------------------------------------------------
# Writing


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(
        gdf,
        path,
        driver="ESRI Shapefile",
        layer_options={"ENCODING": "UTF-8", "DBF_DATE_LAST_UPDATE": DBF_DATE, "RESIZE": "YES"},
    )


def _readme(buurten: gpd.GeoDataFrame, businesses: pd.DataFrame, seed: int) -> str:
    jobs = int((businesses["wp_voltijd"] + businesses["wp_deeltijd"]).sum())
    lines = [
        "# Demo data for Almere (generated, approximate)",
        "",
        "**The geometry in this folder is approximate and generated. It is not the official CBS",
        "buurt map, and the businesses and candidate sites are invented.** Only the figures per",
        "buurt (inhabitants, households, homes, areas, distance to a train station) are real CBS",
        "figures (CBS/Kadaster Wijk- en Buurtkaart, CC BY 4.0), stored in",
        "`almere_gis/datasets/data/almere_buurten_cbs.csv`.",
        "",
        f"Regenerate with `almere-gis demo-data` (seed {seed}); the files come out byte-identical.",
        "",
        "## Files",
        "",
        "| file | content |",
        "|---|---|",
        f"| `demo_buurten.shp` | {len(buurten)} buurten, old upper-case CBS schema (BU_CODE, "
        "BU_NAAM, WK_CODE, WK_NAAM, GM_CODE, GM_NAAM, AANT_INW, AANTAL_HH, WONINGEN, OPP_TOT, "
        "OPP_LAND, OPP_WATER, AF_TREINST), EPSG:28992; missing CBS figures are written as the "
        f"CBS sentinel {CBS_MISSING} |",
        "| `demo_wijken.shp` | the 6 wijken (stadsdelen), dissolved from the buurten, with summed "
        "counts |",
        f"| `demo_vestigingen.csv` | {len(businesses):,} synthetic establishments, {jobs:,} "
        "werkzame personen, LISA-style columns; `vestigingsnummer` is a 12-digit text with "
        "leading zeros (read it as text) |",
        "| `demo_kandidaatlocaties.shp` | synthetic candidate broedplaats sites (points) |",
        "",
        "## How the geometry was made",
        "",
        "1. A municipal outline: around every buurt point a disc with the buurt's CBS land area,",
        "   unioned and closed (300 m), holes filled, scaled so the outline's area equals the sum",
        "   of the CBS land areas (OPP_LAND).",
        "2. A power diagram (weighted Voronoi) of the buurt points, clipped to the outline, with",
        "   weights tuned so each cell's area approaches the buurt's CBS land area (OPP_LAND)",
        "   while every buurt point stays inside its own cell.",
        "3. Coordinates snapped to a 1 m grid; wijken dissolved from the buurten.",
        "",
        "The buurt point is the CBS polygon's centroid, or the centre of its largest inscribed",
        "circle when the centroid falls outside (the ring-shaped rural buurten).",
        "Water (lakes such as the Weerwater) is not modelled: cell areas follow land area.",
        "",
        "## Calibration of the synthetic business register",
        "",
        "| figure | value | source |",
        "|---|---|---|",
        f"| jobs (werkzame personen) in total | {TOTAL_JOBS:,} | Platform31, "
        '"Van pioniersstad naar werkstad" |',
        f"| jobs in residential buurten | {RESIDENTIAL_JOBS:,} (43 %) | Platform31, idem |",
        f"| jobs on business parks / centres / rural | {JOBS['bedrijventerrein']:,} / "
        f"{JOBS['centrum']:,} / {JOBS['buitengebied']:,} | assumption |",
        f"| establishments residential / business parks / centres / rural | "
        f"{ESTABLISHMENTS['wonen']:,} / {ESTABLISHMENTS['bedrijventerrein']:,} / "
        f"{ESTABLISHMENTS['centrum']:,} / {ESTABLISHMENTS['buitengebied']:,} | assumption |",
        "| establishments per buurt | proportional to CBS homes (residential) or CBS land area "
        "(other types) | CBS Wijk- en Buurtkaart figures |",
        f"| home-based share of establishments | residential {HOME_SHARE['wonen']:.0%}, centres "
        f"{HOME_SHARE['centrum']:.0%}, rural {HOME_SHARE['buitengebied']:.0%}, business parks "
        f"{HOME_SHARE['bedrijventerrein']:.0%} | assumption (target 40-55 % residential) |",
        "| size of home-based establishments | 1 person 86 %, 2: 10 %, 3: 3 %, 4: 1 % | "
        "assumption |",
        f"| one-person share of other establishments | residential "
        f"{SINGLE_SHARE['wonen']:.0%}, centres {SINGLE_SHARE['centrum']:.0%}, business parks "
        f"{SINGLE_SHARE['bedrijventerrein']:.0%}, rural {SINGLE_SHARE['buitengebied']:.0%} | "
        "assumption |",
        "| size of larger establishments | 2 + f x lognormal(0, sigma), sigma 1.0 / 1.4 / 1.5 / "
        "0.8, cap 250 / 2500 / 1500 / 150 (residential / centre / park / rural), f fitted to the "
        "job totals | assumption |",
        "| sector mix | SBI 2008 codes weighted per context (home, residential, centre, park, "
        "rural), see `_SBI_TABLE` in `almere_gis/demo.py` | assumption |",
        f"| start year | {REFERENCE_YEAR} minus exponential age (mean 8 y home-based, 14 y other),"
        f" not before {FIRST_YEAR} | assumption |",
        "| social enterprises | 1.2 % of non-home establishments in residential buurten and "
        "centres, 0.4 % elsewhere, 0.2 % of home-based | assumption |",
        "",
        "Locations: every point lies inside its buurt. Home-based establishments lie along",
        "synthetic streets (60-160 m, houses 8-15 m either side), shops, horeca, care and personal",
        "services of residential buurten around the buurt point (the neighbourhood centre),",
        "centre establishments around the centre's point, the rest spread over the buurt.",
        "",
        "Candidate sites: vacant offices, former schools, retail units, bedrijfsverzamelgebouwen",
        "and municipal property in centres, within 150 m of a business park's edge and in",
        f"neighbourhood centres; {N_CANDIDATES_NO_FLOOR_AREA} sites have no floor area on purpose,",
        "so that the missing-value policy of the site scoring is exercised.",
        "",
        "## Using the official boundaries instead",
        "",
        "When online, download the official CBS wijk and buurt polygons with their figures:",
        "",
        "    almere-gis fetch-cbs --gemeente GM0034 --year YYYY",
        "",
        "or download a CBS Wijk- en Buurtkaart yourself and point the settings at it:",
        "",
        "    [paths]",
        '    buurten = "path/to/wijkenbuurten.gpkg"',
        '    buurten_layer = "buurten"',
        "",
        "The demo business register and candidate sites still work with the official boundaries",
        "(their points are joined to whatever buurten are loaded), but remember they are invented.",
        "",
        "## Reproducibility",
        "",
        "Fixed seed, fixed field order, rounded coordinates (1 m) and sorted rows. The `.dbf`",
        f"header holds a date of last update; it is fixed to {DBF_DATE} with GDAL's",
        "`DBF_DATE_LAST_UPDATE` layer creation option, so the bytes do not depend on the day.",
        "",
    ]
    return "\n".join(lines)


def generate_demo_data(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    typology: TypologySettings | None = None,
) -> dict[str, Path]:
    """Write the demo files (buurten, wijken, businesses, candidate sites, README) to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing); the project's copy lives in ``shapefiles/``.
    seed
        Seed of the random generators; the same seed gives byte-identical files.
    typology
        Area-type rules; default: the shipped ``[typology]`` settings.

    Returns
    -------
    dict
        File name -> path of every file written (see ``DEMO_FILES``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    facts = load_buurt_facts()
    buurten = build_buurt_geometry(facts)
    wijken = wijken_from_demo_buurten(buurten)
    businesses = generate_businesses(buurten, seed=seed, typology=typology)
    candidates = generate_candidates(buurten, seed=seed, typology=typology)
    _write_shapefile(buurten, out / "demo_buurten.shp")
    _write_shapefile(wijken, out / "demo_wijken.shp")
    _write_shapefile(candidates, out / "demo_kandidaatlocaties.shp")
    businesses.to_csv(out / "demo_vestigingen.csv", index=False, lineterminator="\n")
    (out / "README.md").write_text(_readme(buurten, businesses, seed), encoding="utf-8")
    log.info("wrote demo data to %s (%d establishments)", out, len(businesses))
    return {name: out / name for name in DEMO_FILES}
