"""The embedded demo data and its generator.

:func:`get_path` finds a demo file wherever the package is: in a wheel install the files ship
inside the package, in a checkout they are the top-level ``shapefiles/`` folder.
"""
