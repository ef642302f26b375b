"""Every number the demo register is calibrated on, with its source or marked as an assumption.

``shapefiles/README.md`` is written from these values (:mod:`.readme`), so the README and the
generator cannot drift apart.

Sources
-------
* Establishments per buurt and CBS SBI group: CBS Kerncijfers wijken en buurten, 1-1-2019 (the
  year whose buurt codes match the demo polygons), O-Q (government, education, care) from
  1-1-2020, the first year CBS counts it (:mod:`.cbs`).
* 79,000 werkzame personen, 34,000 (43 %) of them in residential buurten: Platform31, "Van
  pioniersstad naar werkstad".

Everything else here is an assumption, chosen to be plausible for Almere and stated in the
README.
"""

from __future__ import annotations

from datetime import date

import numpy as np

DEFAULT_SEED = 20240601

# The register describes the situation on 1 January 2019: no establishment starts later.
PEILDATUM = date(2019, 1, 1)
COUNTS_YEAR = 2019
OQ_COUNTS_YEAR = 2020
LAST_START_YEAR = 2018
FIRST_YEAR = 1976  # Almere's first residents

# Jobs (werkzame personen) per area type.
TOTAL_JOBS = 79_000
RESIDENTIAL_JOBS = 34_000
JOBS = {"wonen": RESIDENTIAL_JOBS, "bedrijventerrein": 30_000, "centrum": 13_500,
        "buitengebied": 1_500}  # fmt: skip

# Chance that an establishment of a CBS group is home-based in a residential buurt, and the
# factor on that chance per area type. Assumption (residential target 40-55 %).
HOME_SHARE = {"A": 0.30, "B-F": 0.55, "G+I": 0.30, "H+J": 0.60, "K+L": 0.55, "M+N": 0.65,
              "O-Q": 0.35, "R-U": 0.55}  # fmt: skip
HOME_FACTOR = {"wonen": 1.0, "centrum": 0.25, "buitengebied": 0.7, "bedrijventerrein": 0.0}

# Size of home-based establishments: 1 to 4 werkzame personen.
HOME_SIZES = (np.array([1, 2, 3, 4]), np.array([0.86, 0.10, 0.03, 0.01]))
# One-person share of the other establishments, per area type.
SINGLE_SHARE = {"wonen": 0.50, "bedrijventerrein": 0.35, "centrum": 0.35, "buitengebied": 0.50}
# Larger establishments: 2 + f * lognormal(0, sigma), capped by the SBI code's size band and
# by the area type's cap; f is solved per area type to hit JOBS.
SIZE_SIGMA = {"wonen": 1.0, "bedrijventerrein": 1.5, "centrum": 1.4, "buitengebied": 0.8}
SIZE_CAP = {"wonen": 250, "bedrijventerrein": 1500, "centrum": 2500, "buitengebied": 150}
BAND_CAP = {"S": 9, "M": 99}  # "L": the area type's cap

# Start year: LAST_START_YEAR minus an exponential age, not before FIRST_YEAR.
START_AGE_MEAN = {"home": 8.0, "other": 14.0}

# Social enterprises (Code Sociale Ondernemingen style flag).
SOCIAL_SHARE = {"home": 0.002, "wonen": 0.012, "centrum": 0.012, "other": 0.004}

# Secondary SBI codes (KvK nevenactiviteiten): share of shops (division 47) with one or two,
# and of all other establishments with one.
SECONDARY_SHOP_SHARE = 0.35
SECONDARY_OTHER_SHARE = 0.06

# Multi-tenant buildings (bedrijfsverzamelgebouwen): how many on business parks and in
# centres, and their number of establishments (lognormal around the median, within the range).
BUILDINGS = {"bedrijventerrein": 28, "centrum": 14}
BUILDING_TENANTS_MEDIAN = 9.0
BUILDING_TENANTS_SIGMA = 0.6
BUILDING_TENANTS_RANGE = (5, 40)
# Largest size of a tenant: a small-scale establishment.
BUILDING_TENANT_MAX_JOBS = 9

# Home-based establishments that share the home of another one (two partners' businesses).
SHARED_HOME_SHARE = 0.05
# Homes with many registrations of one household (holding structures), in residential buurten.
HOUSEHOLD_HOMES = 3
HOUSEHOLD_REGISTRATIONS = (5, 7)  # at least, at most

# Water: in a buurt where CBS reports at least this share of water, points keep off the
# part of the polygon farthest from the neighbouring buurten, of the water's area.
WATER_MIN_SHARE = 0.05
# Every point lies at least this far inside its buurt.
INSET_M = 2.0
