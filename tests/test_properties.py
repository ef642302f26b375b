"""Property tests: random small registers and random settings within their bounds.

Whatever the register and the settings, a run raises nothing but the package's own errors,
and when it succeeds every input row is accounted for exactly once: joined to one buurt,
outside every buurt, or rejected with its reason, and the counts per buurt, per wijk and for
the city add up to the joined rows.

The run covers the run core's steps (density, hot spots, sites and publishing the tables and
GeoTIFFs); the map and the QGIS package are exercised by ``test_degenerate.py``. The numeric
ranges are inside the settings' bounds but narrower than them where a wide value would only
make an example slow (a 5 m grid with a 50 m kernel oversamples to tens of millions of cells).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import small_inputs as si
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import almere_gis as ag

pytestmark = pytest.mark.slow


@st.composite
def registers(draw: st.DrawFn) -> tuple[int, pd.DataFrame]:
    """(number of buurten, register): points in, near or far from the buurten; some bad rows."""
    n_buurten = draw(st.integers(1, 6))
    n = draw(st.integers(0, 25))
    side = int(np.ceil(np.sqrt(n_buurten))) * si.CELL
    coordinate = st.floats(-0.5, 1.5, allow_nan=False)  # a share of the squares' extent
    xy = np.array(
        [[si.X0 + draw(coordinate) * side, si.Y0 + draw(coordinate) * side] for _ in range(n)]
    ).reshape(n, 2)
    register = si.register(
        n,
        n_buurten=n_buurten,
        xy=xy,
        jobs=draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)),
        home=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    )
    bad = draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if n else []
    for row in bad:
        register.loc[row, "sbi"] = draw(st.sampled_from(["", "abc", "6201"]))
    return n_buurten, register


@st.composite
def run_settings(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    cell = draw(st.sampled_from([10.0, 20.0, 25.0, 50.0]))
    return {
        "density": {
            "cell_size_m": cell,
            "radius_m": draw(st.floats(max(2 * cell, 100.0), 800.0)),
            "kernel": draw(
                st.sampled_from(["quartic", "epanechnikov", "triweight", "uniform", "triangular"])
            ),
            "output": draw(st.sampled_from(["scaled", "raw"])),
            "subsets": draw(
                st.lists(
                    st.sampled_from(["all", "small_scale", "home_based", "zzp", "bouw"]),
                    min_size=0,
                    max_size=3,
                    unique=True,
                )
            ),
        },
        "hexgrid": {"size_m": draw(st.floats(100.0, 1000.0))},
        "privacy": {"min_count": draw(st.integers(5, 12))},
        "hotspots": {
            "weights": draw(st.sampled_from(["knn", "distance"])),
            "k": draw(st.integers(1, 8)),
            "distance_band_m": draw(st.floats(50.0, 3000.0)),
            "permutations": draw(st.sampled_from([0, 9, 99])),
            "variable": draw(st.sampled_from(["all", "small_scale", "home_based", "zzp"])),
            "fdr": draw(st.booleans()),
        },
        "sites": {
            "top_k": draw(st.integers(1, 10)),
            "draws": draw(st.integers(1, 200)),
            "normalisation": draw(st.sampled_from(["minmax", "percentile"])),
            "missing": draw(st.sampled_from(["neutral", "exclude"])),
        },
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=registers(), chosen=run_settings(), with_sites=st.booleans())
def test_a_run_raises_only_our_errors_and_accounts_for_every_row(
    case: tuple[int, pd.DataFrame], chosen: dict[str, dict[str, Any]], with_sites: bool
) -> None:
    n_buurten, register = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths: dict[str, Path | str] = {
            "buurten": si.write_buurten(folder, n_buurten),
            "businesses": si.write_register(folder, register),
            "candidates": si.write_candidates(folder, 4, n_buurten=n_buurten) if with_sites else "",
        }
        cfg = si.write_settings(folder, paths, **chosen)
        try:
            result = ag.run(
                ag.load_settings(cfg),
                out_dir=folder / "out",
                steps={"density", "hotspots", "sites"},
            )
        except ag.AlmereGisError as exc:
            event(f"refused: {type(exc).__name__}")
            return  # one clear error of the package's own: allowed
        event("completed")
        acc = result.accounting
        assert len(acc) == len(register) == result.inputs.n_input
        assert sorted(acc["source_row"]) == list(range(1, len(register) + 1))
        status = acc["status"].value_counts()
        joined = int(status.get("gekoppeld", 0))
        assert joined + int(status.get("buiten", 0)) + int(status.get("afgewezen", 0)) == len(acc)
        assert joined == len(result.businesses) > 0
        assert result.buurten["n_establishments"].sum() == joined
        assert result.wijken["n_establishments"].sum() == joined
        assert result.city_value("vestigingen") == joined
        assert result.city_value("buiten_studiegebied") == status.get("buiten", 0)
        assert (acc.loc[acc["status"] != "gekoppeld", "reason"].str.len() > 0).all()
