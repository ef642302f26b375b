"""Everything a run writes: tables, GeoTIFFs, the planner's map, the QGIS package."""
