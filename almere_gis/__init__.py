"""almere_gis: where a city's small-scale economy lives, and where to give it room."""

__version__ = "0.1.0"
