"""Candidate broedplaats sites: explainable multi-criteria scoring, rank stability, search zones.

A planner must be able to defend a shortlist: why this site, what drives its score, and whether
the ranking survives reasonable disagreement about the weights. So every site carries, for every
criterion, its raw value (in the unit of :data:`CRITERIA`), its value normalised to 0-1 and its
weighted contribution to the score, plus a one-line explanation.

Distances
---------
All distances are Euclidean in RD New (EPSG:28992), in metres. Within a city the distances that
matter here are short (800 m walking, 2.5 km cycling), no street network data is needed, and the
KDE surfaces measure distance the same way, so the criteria and the maps agree. Euclidean distance
underestimates the real travel distance where water, a railway or a motorway lies between two
places without a crossing nearby; read scores of sites at such barriers with that in mind. The one
exception is the buurt's CBS distance to a train station, which CBS measures over the road network.

Criteria (see :data:`CRITERIA` for units and directions)
--------------------------------------------------------
demand_walk, demand_cycle
    Small-scale *or* home-based establishments within ``walk_m`` / ``cycle_m`` of the site
    (a polygon site measures from its outline; a business inside it is at distance 0).
    ``demand_measure = "count"`` (default) counts establishments: each is a potential tenant,
    and one 9-person firm does not need nine desks in a broedplaats more than nine zzp'ers do.
    ``"jobs"`` sums their werkzame personen instead. Both figures are always written
    (``demand_walk_count``, ``demand_walk_jobs``, ...). Computed from the business points, not
    from the KDE surface, so the value is an exact count a planner can check.
cluster
    1 when the site touches a Gi* hot spot hexagon (``gi_class`` ``hot_*``), falling linearly to
    0 at ``hotspot_near_m`` from the nearest hot spot hexagon, 0 further away
    (``cluster_distance_m`` holds the distance).
accessibility
    Mean of two distances in km, lower is better: to the nearest train station (the CBS
    ``dist_train_km`` of the buurt the site lies in, or the Euclidean distance to the nearest
    point of a stations layer when one is given) and to the nearest neighbourhood centre, defined
    as the centroid of the nearest buurt whose ``area_type`` is ``"centrum"``. (The centroid of
    the site's own buurt would say nothing about facilities nearby.) When no buurt is typed
    "centrum" the station distance is used alone, and the log says so.
fit
    Mean of a floor-area fit and the vacancy share. Floor-area fit: 1 within the target range
    [``target_floor_area_min_m2``, ``target_floor_area_max_m2``], ``area / min`` below it (0 at
    0 m2), ``max / area`` above it (0.5 at twice the maximum). Vacancy: the vacant share of the
    building (0-1): an empty building can be developed sooner.
mix
    Shannon diversity ``H = -sum p_i ln p_i`` (nats) of ``sector_group`` among the small-scale
    establishments within ``walk_m``. No small-scale establishment nearby gives H = 0 (no mix),
    which is a measured value, not a missing one.
social
    The buurt's CBS share of households at the social minimum (%), higher = more room for social
    entrepreneurship to make a difference. Off by default (weight 0).
building
    Distance (m) to the nearest existing bedrijfsverzamelgebouw found in the register
    (:mod:`almere_gis.analysis.buildings`; only buildings that may be published), counted up to
    ``[themes] building_reach_m``: beyond the reach no building is within reach and the sites
    are alike. ``[themes] building_direction = "cluster"`` makes nearer better (extend a
    working cluster), ``"avoid"`` farther (serve where none exists yet). Without buildings
    (``score_sites(..., buildings=None)`` or none published) the criterion does not count: it
    is left out of the normalisation, its weight is left out and the others are rescaled, so
    the score is the one without it, and every explanation says so.

Names, units and descriptions of the criteria live in ``texts/sites.toml``
(``sites.criterion.<key>.name``, ``.unit``, ``.description``): every output reads them there.

Scoring
-------
Hard constraints are filters: a site below ``min_floor_area_m2`` is excluded and keeps its row
with ``excluded = True`` and ``exclusion_reason``. Criteria are normalised over the sites that
are not excluded: ``minmax`` (``(x - min) / (max - min)``) or ``percentile`` (average rank,
``(rank - 1) / (n - 1)``), flipped for lower-is-better criteria. When all sites have the same
value the criterion does not separate them and every site gets 0.5. The score is the weighted
sum of the normalised values with the ``[sites.weights]`` rescaled to sum to 1, so it lies in
0-1; rank 1 is the best, ties share a rank. The shares the score used are columns
``weight_<criterion>`` (summing to 1); :func:`site_notes` gives the run-summary sentence when the
configured weights did not sum to 1 (and when the building criterion was not counted).

Explanations never cite a count of establishments from 1 to ``privacy.min_count - 1``: such a
count is written ``< 5`` (``texts.format.count(..., suppressed=True)``); with the jobs measure,
jobs resting on so few establishments are not cited either. Zero rests on no one and is shown.

The explanation names the strongest criterion (largest contribution) and the weakest one. The
weakest is the criterion that costs the site most points, ``weight x (1 - norm)``: taking the
smallest contribution instead would nearly always name the criterion with the smallest weight,
whatever the site. Criteria counted as neutral because their value is missing are not chosen
(the explanation lists them separately), nor are criteria on which all sites are equal.

Missing attributes: a criterion that cannot be computed for a site (floor area or vacancy
unknown, site outside every buurt, no hexagons given, ...) is NaN in ``<criterion>_raw``, never a
silent 0. The ``missing`` setting decides what follows: ``"neutral"`` counts it as 0.5 after
normalisation (and the explanation says so), ``"exclude"`` excludes the site with the reason.
Criteria with weight 0 never exclude a site. CBS publishes no station distance for buurten with
few inhabitants (business parks), so sites there miss that part of accessibility unless a
stations layer is given.

Rank stability and search zones
-------------------------------
:func:`rank_stability` re-scores the sites under 1,000 (``draws``) seeded Dirichlet perturbations
of the weights and reports per site the chance of a top-k place, the median rank and its 90 %
interval, and in words (``stability``): ``always`` in the top k (in at least
``always_probability``, default 95 %, of the draws), ``never`` (in none of them) or
``sometimes``; the words are ``sites.stability.*`` in the text catalogue.

:func:`search_zones` lists the Gi* hot spot hexagons with no candidate within
``search_zone_distance_m``: where the municipality should go looking for premises; with the
buildings given, ``no_building_within`` says where that demand has no existing building within
``building_reach_m`` either.
"""

from __future__ import annotations

__all__ = [
    "CRITERIA",
    "Criterion",
    "criteria_table",
    "field_descriptions",
    "format_top",
    "rank_stability",
    "resolve_weights",
    "score_sites",
    "search_zones",
    "site_notes",
    "stability_key",
    "used_weights",
]

from .criteria import CRITERIA, Criterion, criteria_table
from .explain import field_descriptions
from .scoring import resolve_weights, score_sites, site_notes, used_weights
from .stability import rank_stability, stability_key
from .summary import format_top
from .zones import search_zones
