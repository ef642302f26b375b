"""Publications for the summary and workbook tests: the demo's, and variants of it.

The demo run's public view is built with the pipeline's own stages (nothing is written);
variants change one table of it, the way a degenerate input or a privacy rule would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

import almere_gis as ag
from almere_gis.analysis.growth import Growth, growth_spans
from almere_gis.analysis.privacy import PublicFrame
from almere_gis.datasets.generate.cbs import load_cbs_counts
from almere_gis.pipeline.analyse import analyse
from almere_gis.pipeline.inputs import read_inputs
from almere_gis.pipeline.publication import make_publication

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
CBS_GROUPS = ["total", "A", "B-F", "G+I", "H+J", "K+L", "M+N", "O-Q", "R-U"]


def demo_publication(settings: ag.Settings) -> ag.Publication:
    """The demo run's Publication, computed in memory."""
    inputs = read_inputs(settings)
    return make_publication(analyse(inputs, on_step=lambda step: None))


def cbs_growth() -> Growth:
    """Almere's real CBS establishment counts 2018-2021 (shipped with the demo) as growth."""
    return growth_spans(load_cbs_counts(), measures=CBS_GROUPS)


def with_table(pub: ag.Publication, name: str, frame: PublicFrame | None) -> ag.Publication:
    """``pub`` with one table replaced."""
    return dataclasses.replace(pub, **{name: frame})


def hide(frame: PublicFrame, rows: np.ndarray, columns: list[str]) -> PublicFrame:
    """``frame`` with the cells of ``columns`` in ``rows`` (boolean) hidden for privacy."""
    data = frame.data.copy()
    hidden = frame.hidden.copy()
    for column in columns:
        if column not in hidden:
            hidden[column] = False
        hidden[column] = hidden[column].to_numpy(dtype=bool) | rows
        values = data[column]
        if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype("Float64" if values.dtype != bool else "boolean")
        data[column] = values.mask(rows)
    return PublicFrame(data=data, hidden=hidden)


def with_stability(pub: ag.Publication, words: list[str]) -> ag.Publication:
    """The candidates with a ``stability`` column: ``words`` for the top ranks, then "never"."""
    assert pub.candidates is not None
    data = pub.candidates.data.copy()
    rank = pd.to_numeric(data["rank"], errors="coerce").to_numpy(dtype=float)
    order = np.argsort(np.where(np.isfinite(rank), rank, np.inf), kind="stable")
    stability = np.full(len(data), "never", dtype=object)
    stability[order[: len(words)]] = words
    data["stability"] = stability
    return with_table(pub, "candidates", PublicFrame(data=data, hidden=pub.candidates.hidden))
