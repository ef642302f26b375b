"""Theme flags per establishment: makers, mixed retail, social enterprise (see the package).

Also the address grouping (:func:`address_keys`) that mixed retail and the building detection
share, and the sentences that say what each flag rests on.
"""

from __future__ import annotations

__all__ = [
    "THEMES",
    "AddressKeys",
    "address_keys",
    "maker_flag",
    "mixed_retail_flag",
    "retail_flag",
    "social_enterprise_flag",
    "theme_flags",
    "theme_masks",
    "theme_notes",
]

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..._errors import SchemaError
from ..._schema import ADDRESS_ID, SBI_SECONDARY
from ...settings import Settings, ThemeSettings
from ...texts import text

THEMES = ("maker", "mixed_retail", "social_enterprise")
# Coordinates of one address agree to the centimetre (a reprojection may add float noise).
_COORDINATE_DECIMALS = 2
_SBI_CODE = r"^\d{2,5}$"
CLASSIFY_FIRST = "run classify_businesses (and join_businesses for area codes) first"


def require_columns(frame: pd.DataFrame, columns: Sequence[str], fix: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError("businesses", f"the frame lacks the column(s) {missing}", fix)


@dataclass(frozen=True)
class AddressKeys:
    """Which establishments share an address."""

    codes: np.ndarray
    """Per establishment: the integer index of its address (0 to ``n - 1``)."""
    n: int
    """Number of distinct addresses."""
    method: str
    """``bag_id`` (every row has an ``address_id``), ``coordinate`` (none has) or
    ``bag_id_and_coordinate`` (rows with an id are grouped by it, the others by coordinate)."""


def _address_ids(businesses: pd.DataFrame) -> np.ndarray | None:
    if ADDRESS_ID not in businesses.columns:
        return None
    ids = businesses[ADDRESS_ID].astype("string").str.strip()
    out: np.ndarray = ids.mask(ids == "").to_numpy(dtype=object, na_value=None)
    return out


def _coordinates(businesses: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    if not isinstance(businesses, gpd.GeoDataFrame):
        raise SchemaError(
            "businesses",
            f"{int(rows.sum())} establishments have no {ADDRESS_ID} and the frame has no points",
            f"give an {ADDRESS_ID} column or point geometry",
        )
    points = np.asarray(businesses.geometry.array)[rows]
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def address_keys(businesses: pd.DataFrame) -> AddressKeys:
    """Group the establishments by address: the BAG id where given, else the coordinate.

    Parameters
    ----------
    businesses : DataFrame
        The internal business frame: point geometry (EPSG:28992) and, optionally, an
        ``address_id`` column (BAG verblijfsobject or pand id; missing or empty = none).

    Returns
    -------
    AddressKeys
        Coordinates count as one address when they agree to the centimetre; a point without
        coordinates is an address of its own.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoDataFrame({"address_id": ["A", "A", None]},
    ...                      geometry=shapely.points([0, 5, 5], [0, 5, 5]), crs="EPSG:28992")
    >>> keys = address_keys(b)
    >>> keys.codes.tolist(), keys.method
    ([0, 0, 1], 'bag_id_and_coordinate')
    """
    n = len(businesses)
    ids = _address_ids(businesses)
    has_id = np.zeros(n, dtype=bool) if ids is None else pd.notna(ids)
    codes = np.full(n, -1, dtype=np.int64)
    taken = 0
    if has_id.any():
        codes[has_id], unique_ids = pd.factorize(ids[has_id])  # type: ignore[index]
        taken = len(unique_ids)
    rest = ~has_id
    if rest.any():
        xy = np.round(_coordinates(businesses, rest), _COORDINATE_DECIMALS)
        ok = np.isfinite(xy).all(axis=1)
        part = np.empty(len(xy), dtype=np.int64)
        if ok.any():
            _, inverse = np.unique(xy[ok], axis=0, return_inverse=True)
            part[ok] = inverse.ravel()
        part[~ok] = (part[ok].max() + 1 if ok.any() else 0) + np.arange(int((~ok).sum()))
        codes[rest] = taken + part
        taken += int(part.max()) + 1
    if rest.all():
        method = "coordinate" if n or ids is None else "bag_id"
    else:
        method = "bag_id" if has_id.all() else "bag_id_and_coordinate"
    return AddressKeys(codes=codes, n=taken, method=method)


def _division(businesses: pd.DataFrame) -> np.ndarray:
    """The main SBI division per establishment (-1 where unknown)."""
    values = pd.to_numeric(businesses["sbi_division"], errors="coerce")
    out: np.ndarray = values.fillna(-1).to_numpy(dtype=np.int64)
    return out


def _isin(division: np.ndarray, divisions: frozenset[int]) -> np.ndarray:
    out: np.ndarray = np.isin(
        division, np.fromiter(divisions, dtype=np.int64, count=len(divisions))
    )
    return out


def maker_flag(businesses: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Makers: main SBI division in ``themes.maker_divisions`` and small-scale.

    ``small_scale`` is the classification's flag (at most
    ``classification.small_scale_max_jobs`` werkzame personen).
    """
    require_columns(businesses, ["sbi_division", "small_scale"], CLASSIFY_FIRST)
    small = businesses["small_scale"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    makers: np.ndarray = _isin(_division(businesses), settings.themes.maker_set()) & small
    return makers


def retail_flag(businesses: pd.DataFrame, themes: ThemeSettings) -> np.ndarray:
    """Retail: main SBI division in ``themes.retail_divisions``."""
    require_columns(businesses, ["sbi_division"], CLASSIFY_FIRST)
    return _isin(_division(businesses), themes.retail_set())


def _secondary_divisions(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(row, division) of every valid secondary code, or None when the column holds none.

    Codes are split on ";", trimmed and read without dots ("56.10" = "5610"); a code that is
    not 2-5 digits is ignored.
    """
    arr = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    lists = pc.split_pattern(arr, ";")
    codes = pc.replace_substring(pc.utf8_trim_whitespace(pc.list_flatten(lists)), ".", "")
    rows = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    valid = pc.fill_null(pc.match_substring_regex(codes, _SBI_CODE), False)
    ok = np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)
    if not ok.any():
        return None
    two = pc.utf8_slice_codeunits(pc.filter(codes, valid), 0, 2)
    return rows[ok], np.asarray(pc.cast(two, pa.int64()).to_numpy(), dtype=np.int64)


def mixed_retail_flag(
    businesses: pd.DataFrame, themes: ThemeSettings
) -> tuple[np.ndarray, dict[str, str]]:
    """Mixed retail, and how it was found.

    Returns
    -------
    flag : numpy.ndarray
        True for a shop with a second activity in ``themes.mixed_divisions``.
    notes : dict
        ``{"mixed_retail": "secondary_sbi"}`` when the register has secondary SBI codes (at
        least one valid code in ``sbi_secondary``); otherwise ``{"mixed_retail":
        "shared_address", "address": <AddressKeys.method>}``: a shop is mixed when its
        address also holds an establishment whose main activity is in ``mixed_divisions``.
    """
    retail = retail_flag(businesses, themes)
    mixed = themes.mixed_set()
    n = len(businesses)
    second = None
    if SBI_SECONDARY in businesses.columns:
        second = _secondary_divisions(businesses[SBI_SECONDARY])
    if second is not None:
        rows, division = second
        carries = np.bincount(rows[_isin(division, mixed)], minlength=n) > 0
        return retail & carries, {"mixed_retail": "secondary_sbi"}
    keys = address_keys(businesses)
    partner = _isin(_division(businesses), mixed) & ~retail
    at_address = np.bincount(keys.codes[partner], minlength=keys.n) > 0
    return retail & at_address[keys.codes], {
        "mixed_retail": "shared_address",
        "address": keys.method,
    }


def social_enterprise_flag(businesses: pd.DataFrame) -> tuple[pd.Series, str]:
    """The register's social-enterprise flag (nullable) and how much of it the register gives.

    The method is ``register``, ``register_partial`` (some establishments have no value) or
    ``missing`` (no value at all).
    """
    if "social_enterprise" not in businesses.columns:
        return pd.Series(pd.NA, index=businesses.index, dtype="boolean"), "missing"
    flag = businesses["social_enterprise"].astype("boolean")
    known = flag.notna()
    if not known.any():
        return flag, "missing"
    return flag, ("register" if known.all() else "register_partial")


def theme_flags(
    businesses: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The three theme flags of every establishment, and what each rests on.

    Parameters
    ----------
    businesses : DataFrame
        The internal business frame (``_schema.BUSINESS_COLUMNS``) with the classification
        columns, point geometry (EPSG:28992) and, optionally, ``sbi_secondary`` and
        ``address_id``.
    settings : Settings
        ``[themes]`` and ``[classification]``.

    Returns
    -------
    flags : DataFrame
        Aligned to ``businesses.index``: boolean ``maker`` and ``mixed_retail``, nullable
        boolean ``social_enterprise`` (missing where the register has no flag).
    notes : dict
        ``maker``: ``"sbi"``; ``mixed_retail``: ``"secondary_sbi"`` or ``"shared_address"``
        (then ``address``: the :class:`AddressKeys` method); ``social_enterprise``:
        ``"register"``, ``"register_partial"`` or ``"missing"``. :func:`theme_notes` turns
        them into sentences.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from almere_gis.settings import load_settings
    >>> b = gpd.GeoDataFrame({"sbi_division": [10, 47, 47], "small_scale": [True] * 3,
    ...     "sbi_secondary": [None, "5610", "4791"], "social_enterprise": [pd.NA] * 3},
    ...     geometry=shapely.points([0, 1, 2], [0, 0, 0]), crs="EPSG:28992")
    >>> flags, notes = theme_flags(b, load_settings())
    >>> flags["maker"].tolist(), flags["mixed_retail"].tolist(), notes["mixed_retail"]
    ([True, False, False], [False, True, False], 'secondary_sbi')
    """
    mixed, mixed_notes = mixed_retail_flag(businesses, settings.themes)
    social, social_method = social_enterprise_flag(businesses)
    flags = pd.DataFrame(
        {
            "maker": maker_flag(businesses, settings),
            "mixed_retail": mixed,
            "social_enterprise": social.to_numpy(),
        },
        index=businesses.index,
    )
    flags["social_enterprise"] = flags["social_enterprise"].astype("boolean")
    notes = {"maker": "sbi", **mixed_notes, "social_enterprise": social_method}
    return flags, notes


def theme_masks(flags: pd.DataFrame) -> dict[str, np.ndarray]:
    """One boolean mask per theme (a missing flag counts as not in the theme).

    For the density and hot-spot steps: ``kde(businesses.geometry[mask], ...)`` and
    ``hex_counts(hexes, businesses.loc[mask])``.
    """
    return {t: flags[t].astype("boolean").fillna(False).to_numpy(dtype=bool) for t in THEMES}


def theme_notes(notes: Mapping[str, str], settings: Settings, language: str = "nl") -> list[str]:
    """One sentence per theme saying what it rests on, for every output that shows it.

    Examples
    --------
    >>> from almere_gis.settings import load_settings
    >>> notes = {"maker": "sbi", "mixed_retail": "secondary_sbi", "social_enterprise": "missing"}
    >>> print(theme_notes(notes, load_settings(), "en")[1])  # doctest: +NORMALIZE_WHITESPACE
    Mixed retail: shops (SBI 47) whose secondary SBI codes include making, horeca, courses,
    repair or personal services (SBI 10-33,55-56,85,95-96).
    """
    t = settings.themes
    lines = [
        text(
            "themes.method.maker",
            language,
            divisions=t.maker_divisions,
            max_jobs=settings.classification.small_scale_max_jobs,
        ),
        text(
            f"themes.method.mixed_retail.{notes['mixed_retail']}",
            language,
            retail=t.retail_divisions,
            divisions=t.mixed_divisions,
        ),
    ]
    if "address" in notes:
        lines.append(text(f"themes.method.address.{notes['address']}", language))
    source = t.social_enterprise_source or text("themes.method.default_source", language)
    lines.append(
        text(
            f"themes.method.social_enterprise.{notes['social_enterprise']}", language, source=source
        )
    )
    return lines
