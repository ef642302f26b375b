"""Reading and validating every input (areas, business registers, candidate sites, CBS figures),
the CRS policy, atomic writing and downloads. Everything leaves this package in the internal
schema of :mod:`almere_gis._schema`, in EPSG:28992."""

from __future__ import annotations

__all__ = ["read_kerncijfers"]

from .kerncijfers import read_kerncijfers
