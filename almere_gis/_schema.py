"""The internal schema: the column names every step of the pipeline agrees on.

All geometry is in EPSG:28992 (Amersfoort / RD New), metres.

Areas (buurten; wijken carry the same minus the buurt fields)
    buurt_code, buurt_name, wijk_code, wijk_name, gemeente_code, gemeente_name : str
    inhabitants, households, homes            : float (NaN where CBS publishes a sentinel)
    area_total_ha, area_land_ha, area_water_ha : float, CBS hectares
    dist_train_km                              : float, CBS road distance to a train station
    cbs_establishments                         : float, CBS business count where present
    share_social_minimum                       : float, % households at the social minimum
    area_type                                  : str, see TYPOLOGY

Businesses (one row per establishment, Point geometry)
    business_id : str       unique
    name        : str
    sbi         : str       SBI 2008 code, digits only (2 to 5)
    jobs_fulltime, jobs_parttime, jobs : int (jobs = werkzame personen, full + part time)
    home_based  : bool
    start_year  : Int64 (nullable)
    social_enterprise : boolean (nullable)
    source_row  : int       1-based data row number in the input file
  optional, where the register has them (analysis/themes.py, analysis/buildings.py):
    sbi_secondary : str     secondary SBI codes (KvK nevenactiviteiten, LISA secondary codes),
                            ";"-separated; missing or "" for none
    address_id    : str     the BAG verblijfsobject (or pand) id of the address; shared by the
                            establishments at one address
  added by classify_businesses:
    sbi_division : int, sector_group : str, small_scale : bool, zzp : bool
  added by join_businesses:
    buurt_code, wijk_code : str
"""

from __future__ import annotations

CRS_RD = "EPSG:28992"

AREA_TEXT_COLUMNS = (
    "buurt_code",
    "buurt_name",
    "wijk_code",
    "wijk_name",
    "gemeente_code",
    "gemeente_name",
)
AREA_NUMERIC_COLUMNS = (
    "inhabitants",
    "households",
    "homes",
    "area_total_ha",
    "area_land_ha",
    "area_water_ha",
    "dist_train_km",
    "cbs_establishments",
    "share_social_minimum",
)
AREA_COLUMNS = [*AREA_TEXT_COLUMNS, *AREA_NUMERIC_COLUMNS]

BUSINESS_COLUMNS = [
    "business_id",
    "name",
    "sbi",
    "jobs_fulltime",
    "jobs_parttime",
    "jobs",
    "home_based",
    "start_year",
    "social_enterprise",
    "source_row",
]

# Optional business columns (see the module docstring); INPUTS maps them from the register.
SBI_SECONDARY = "sbi_secondary"
ADDRESS_ID = "address_id"
BUSINESS_OPTIONAL_COLUMNS = (SBI_SECONDARY, ADDRESS_ID)

# Area types (Dutch keys, as planners name them).
TYPOLOGY = ("wonen", "centrum", "bedrijventerrein", "buitengebied")
RESIDENTIAL = "wonen"

# The Netherlands in RD New, with a margin (the RD grid's valid extent).
RD_EXTENT = (-7_000.0, 289_000.0, 300_000.0, 629_000.0)
# The Netherlands in WGS 84 (lat, lon), with a margin: used to detect swapped lat/lon.
WGS84_NL_LAT = (50.5, 53.8)
WGS84_NL_LON = (3.0, 7.5)

# CBS publishes no figure built from fewer establishments than this; the privacy floor.
CBS_MIN_COUNT = 5

# Indicator columns of the area tables (analysis/indicators.py): a measure, optionally a rate.
COUNT_MEASURES = (
    "n_establishments",
    "jobs",
    "n_small_scale",
    "jobs_small_scale",
    "n_home_based",
    "jobs_home_based",
    "n_zzp",
    "jobs_zzp",
    "n_social_enterprise",
    "jobs_social_enterprise",
)
RATE_SUFFIXES = ("_per_km2", "_per_1000_inhabitants", "_per_1000_homes")
OTHER_SECTOR = "overig"
# Older spellings of indicator names, still accepted in settings files.
INDICATOR_ALIASES = {"small_scale_jobs_per_km2": "jobs_small_scale_per_km2"}


def indicator_names(sector_keys: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Every indicator column an area table has for these sector groups (for the settings)."""
    names = set(COUNT_MEASURES)
    for m in COUNT_MEASURES:
        names.update(f"{m}{suffix}" for suffix in RATE_SUFFIXES)
        names.add(f"share_{m}")
    for s in (*sector_keys, OTHER_SECTOR):
        names.update((f"n_{s}", f"jobs_{s}", f"lq_{s}"))
    return frozenset(names | set(INDICATOR_ALIASES))
