"""The report's themes per establishment: makers, mixed retail and social enterprise.

Each theme is a rule on the register's SBI codes, set in ``[themes]`` (see ``defaults.toml``
for the codes and the reason for each choice):

* **maker**: main SBI division in ``maker_divisions`` (manufacturing 10-33, creative arts 90,
  repair 95) and small-scale (at most ``classification.small_scale_max_jobs`` werkzame
  personen);
* **mixed retail**: main SBI division in ``retail_divisions`` (47) and a second activity in
  ``mixed_divisions`` (making, horeca, courses, repair, personal services). Where the register
  carries secondary SBI codes (column ``sbi_secondary``) they decide; otherwise a shop is mixed
  when its address also holds an establishment whose main activity is in ``mixed_divisions``.
  The main activity decides what a business is: a cafe that also sells goods is horeca, not
  mixed retail;
* **social enterprise**: the register's flag where it has one, else missing (never False: a
  register without the flag says nothing about social enterprise).

Every function that depends on what the data allowed returns a method note (a short key such
as ``"secondary_sbi"``) so that each output can state it (:func:`theme_notes`).

Counts per buurt, wijk and hexagon, the top buurten and growth per theme are here too; the
density surfaces and hot spots of a theme come from :mod:`almere_gis.analysis.density` and
:mod:`almere_gis.analysis.hotspots` as they are, with the masks of :func:`theme_masks`.
Pure functions: frames in, frames out, no file access.

Modules: :mod:`.flags` (the flags, addresses, notes), :mod:`.counts` (per area, city and
hexagon), :mod:`.growth` (growth per theme).
"""

from __future__ import annotations

__all__ = [
    "THEMES",
    "AddressKeys",
    "ThemeGrowth",
    "address_keys",
    "maker_flag",
    "mixed_retail_flag",
    "proxy_growth",
    "register_theme_counts",
    "retail_flag",
    "social_enterprise_flag",
    "sum_by_area",
    "sum_by_index",
    "theme_area_counts",
    "theme_city",
    "theme_flags",
    "theme_growth",
    "theme_hexagon_counts",
    "theme_masks",
    "theme_notes",
    "theme_wijk_counts",
    "top_areas",
]

from .counts import (
    sum_by_area,
    sum_by_index,
    theme_area_counts,
    theme_city,
    theme_hexagon_counts,
    theme_wijk_counts,
    top_areas,
)
from .flags import (
    THEMES,
    AddressKeys,
    address_keys,
    maker_flag,
    mixed_retail_flag,
    retail_flag,
    social_enterprise_flag,
    theme_flags,
    theme_masks,
    theme_notes,
)
from .growth import ThemeGrowth, proxy_growth, register_theme_counts, theme_growth
