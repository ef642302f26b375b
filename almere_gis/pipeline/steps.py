"""The steps of a run, in the order a run reports them (labels: ``run.step.<key>`` texts)."""

from __future__ import annotations

__all__ = ["LATER_STEPS", "STEPS"]

STEPS = ("inputs", "join", "indicators", "density", "hotspots", "sites", "map", "qgis", "publish")
# Steps after the foundation (inputs, join, indicators), which always run.
LATER_STEPS = frozenset({"density", "hotspots", "sites", "map", "qgis"})
