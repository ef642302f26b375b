"""Open the QGIS package in QGIS itself and check it, headless.

Run with the system Python that has PyQGIS (Debian's python3-qgis), not the project venv:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py PROJECT.qgs EXPECTED.json

EXPECTED.json (a file path or the JSON text itself)::

    {"layers": {"buurten": {"features": 4, "renderer": "categorizedSymbol",
                            "legend": ["Te weinig om te tonen"]},
                "verantwoording": {"features": 2, "renderer": null}},
     "rasters": {"kde_all_count": {"renderer": "singlebandpseudocolor", "legend": ["of meer"]}},
     "order": ["buurten", "kde_all_count"]}

Checks, for the project and for every layer loaded fresh from its file:
- the project CRS and every spatial layer are EPSG:28992, every layer is valid;
- the project holds exactly the expected layers; feature counts are the expected ones;
- each vector layer's renderer type is the expected one (QGIS's fallback would be
  ``singleSymbol``), and every feature with a value gets a symbol from it;
- each raster's renderer type is the expected one (its sidecar ``.qml`` applied);
- if "legend" is given for a layer, each of its strings occurs in one of the legend labels
  QGIS builds from the renderer (as the layer panel shows them);
- if "order" is given, the drawn layers (not the tables) are in that order, top first.

Prints ``QGIS CHECK OK`` and exits 0, or prints every failure and exits 1. A temporary HOME and
QGIS profile are used and removed, and GDAL writes no ``.aux.xml`` files, so nothing is left.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def _isolate(tmp: Path) -> None:
    """Point everything QGIS and Qt write at ``tmp``; must run before importing qgis."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["HOME"] = str(tmp)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        os.environ[name] = str(tmp / name.lower())
    runtime = tmp / "runtime"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ["TMPDIR"] = str(tmp)
    os.environ["GDAL_PAM_ENABLED"] = "NO"  # no .aux.xml statistics beside the rasters
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = str(tmp / "profiles")


def _check(project_path: Path, expected: dict, failures: list[str]) -> None:
    from qgis.core import (
        QgsExpressionContext,
        QgsExpressionContextUtils,
        QgsFeatureRequest,
        QgsMapLayerType,
        QgsProject,
        QgsRasterLayer,
        QgsRenderContext,
        QgsVectorLayer,
        QgsWkbTypes,
    )

    def fail(message: str) -> None:
        failures.append(message)

    def check_legend(labels: list[str], name: str, want: dict, where: str) -> None:
        for expected in want.get("legend", []):
            if not any(expected in label for label in labels):
                fail(f"{where}: legend of '{name}' lacks {expected!r}; it reads {labels}")

    def check_vector(layer: QgsVectorLayer, name: str, want: dict, where: str) -> None:
        if not layer.isValid():
            fail(f"{where}: layer '{name}' is not valid (source {layer.source()})")
            return
        spatial = layer.geometryType() not in (
            QgsWkbTypes.NullGeometry,
            QgsWkbTypes.UnknownGeometry,
        )
        if spatial and layer.crs().authid() != "EPSG:28992":
            fail(f"{where}: layer '{name}' is in {layer.crs().authid()!r}, not EPSG:28992")
        count = layer.featureCount()
        if count != want["features"]:
            fail(f"{where}: layer '{name}' has {count} features, expected {want['features']}")
        renderer_type = want.get("renderer")
        if renderer_type is None:
            return
        renderer = layer.renderer()
        actual = renderer.type() if renderer is not None else None
        if actual != renderer_type:
            fail(f"{where}: layer '{name}' renderer is {actual!r}, expected {renderer_type!r}")
            return
        check_legend([item.label() for item in renderer.legendSymbolItems()], name, want, where)
        # Every feature whose classed value is not NULL must get a symbol: catches class
        # bounds that miss the extreme values and categories that never match.
        context = QgsRenderContext()
        context.setExpressionContext(
            QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        )
        renderer = renderer.clone()
        renderer.startRender(context, layer.fields())
        attribute = renderer.classAttribute()
        field_index = layer.fields().lookupField(attribute)
        unstyled = []
        for feature in layer.getFeatures(QgsFeatureRequest()):
            if field_index >= 0 and _is_null(feature.attribute(field_index)):
                continue
            context.expressionContext().setFeature(feature)
            if not renderer.willRenderFeature(feature, context):
                unstyled.append(feature.id())
        renderer.stopRender(context)
        if unstyled:
            fail(f"{where}: layer '{name}': features {unstyled} get no symbol from its renderer")

    def check_raster(layer: QgsRasterLayer, name: str, want: dict, where: str) -> None:
        if not layer.isValid():
            fail(f"{where}: raster '{name}' is not valid (source {layer.source()})")
            return
        if layer.crs().authid() != "EPSG:28992":
            fail(f"{where}: raster '{name}' is in {layer.crs().authid()!r}, not EPSG:28992")
        actual = layer.renderer().type() if layer.renderer() is not None else None
        if actual != want["renderer"]:
            fail(f"{where}: raster '{name}' renderer is {actual!r}, expected {want['renderer']!r}")
            return
        items = layer.renderer().legendSymbologyItems()
        check_legend([str(label) for label, _ in items], name, want, where)

    project = QgsProject.instance()
    if not project.read(str(project_path)):
        fail(f"{project_path}: QGIS cannot read the project: {project.error()}")
        return
    if project.crs().authid() != "EPSG:28992":
        fail(f"project CRS is {project.crs().authid()!r}, not EPSG:28992")

    vectors = expected.get("layers", {})
    rasters = expected.get("rasters", {})
    by_name = {layer.name(): layer for layer in project.mapLayers().values()}
    extra = sorted(set(by_name) - set(vectors) - set(rasters))
    missing = sorted((set(vectors) | set(rasters)) - set(by_name))
    if missing:
        fail(f"project lacks layers {missing}")
    if extra:
        fail(f"project has unexpected layers {extra}")

    if "order" in expected:
        drawn = [
            layer.name()
            for layer in project.layerTreeRoot().layerOrder()
            if layer.type() == QgsMapLayerType.RasterLayer
            or layer.geometryType() not in (QgsWkbTypes.NullGeometry, QgsWkbTypes.UnknownGeometry)
        ]
        if drawn != expected["order"]:
            fail(f"layer order is {drawn}, expected {expected['order']}")

    for name, want in vectors.items():
        layer = by_name.get(name)
        if layer is None:
            continue
        if layer.type() != QgsMapLayerType.VectorLayer:
            fail(f"project: '{name}' is not a vector layer")
            continue
        check_vector(layer, name, want, "project")
        # Fresh from the file: the GeoPackage's default style (layer_styles) must apply.
        fresh = QgsVectorLayer(layer.source(), name, "ogr")
        check_vector(fresh, name, want, "fresh from GeoPackage")

    for name, want in rasters.items():
        layer = by_name.get(name)
        if layer is None:
            continue
        if layer.type() != QgsMapLayerType.RasterLayer:
            fail(f"project: '{name}' is not a raster layer")
            continue
        check_raster(layer, name, want, "project")
        fresh = QgsRasterLayer(layer.source(), name, "gdal")
        check_raster(fresh, name, want, "fresh from GeoTIFF with sidecar .qml")

    project.clear()


def _is_null(value: object) -> bool:
    """PyQGIS returns NULL as a QVariant (or None, depending on the build)."""
    if value is None:
        return True
    is_null = getattr(value, "isNull", None)
    return bool(is_null()) if callable(is_null) else False


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    project_path = Path(argv[1]).resolve()
    spec = argv[2]
    expected = json.loads(spec if spec.lstrip().startswith("{") else Path(spec).read_text())
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qgis_check_") as tmp:
        _isolate(Path(tmp))
        from qgis.core import QgsApplication

        app = QgsApplication([], False, str(Path(tmp) / "profiles"))
        app.initQgis()
        try:
            _check(project_path, expected, failures)
        finally:
            app.exitQgis()
    if failures:
        print("QGIS CHECK FAILED")
        for line in failures:
            print(" -", line)
        return 1
    print("QGIS CHECK OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
