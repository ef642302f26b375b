"""The analysis: pure functions from validated frames and arrays to results, no file access.

classify, join, indicators, typology, density, hexgrid, hotspots and the candidate-site scoring.
"""
