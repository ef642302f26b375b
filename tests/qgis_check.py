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


class _Checker:
    """Collects every failure; ``qgis.core`` is imported only once QGIS is initialised."""

    def __init__(self, failures: list[str]) -> None:
        from qgis import core

        self.core = core
        self.failures = failures

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def legend(self, labels: list[str], name: str, want: dict, where: str) -> None:
        for expected in want.get("legend", []):
            if not any(expected in label for label in labels):
                self.fail(f"{where}: legend of '{name}' lacks {expected!r}; it reads {labels}")

    def is_spatial(self, layer: object) -> bool:
        wkb = self.core.QgsWkbTypes
        return layer.geometryType() not in (wkb.NullGeometry, wkb.UnknownGeometry)

    def vector(self, layer: object, name: str, want: dict, where: str) -> None:
        if not layer.isValid():
            self.fail(f"{where}: layer '{name}' is not valid (source {layer.source()})")
            return
        if self.is_spatial(layer) and layer.crs().authid() != "EPSG:28992":
            self.fail(f"{where}: layer '{name}' is in {layer.crs().authid()!r}, not EPSG:28992")
        count = layer.featureCount()
        if count != want["features"]:
            self.fail(f"{where}: layer '{name}' has {count} features, expected {want['features']}")
        renderer_type = want.get("renderer")
        if renderer_type is None:
            return
        renderer = layer.renderer()
        actual = renderer.type() if renderer is not None else None
        if actual != renderer_type:
            self.fail(f"{where}: layer '{name}' renderer is {actual!r}, expected {renderer_type!r}")
            return
        self.legend([item.label() for item in renderer.legendSymbolItems()], name, want, where)
        unstyled = self.unstyled(layer, renderer.clone())
        if unstyled:
            self.fail(
                f"{where}: layer '{name}': features {unstyled} get no symbol from its renderer"
            )

    def unstyled(self, layer: object, renderer: object) -> list[int]:
        """Features with a classed value that get no symbol: class bounds that miss the
        extreme values, categories that never match."""
        core = self.core
        context = core.QgsRenderContext()
        context.setExpressionContext(
            core.QgsExpressionContext(
                core.QgsExpressionContextUtils.globalProjectLayerScopes(layer)
            )
        )
        renderer.startRender(context, layer.fields())
        field_index = layer.fields().lookupField(renderer.classAttribute())
        unstyled = []
        for feature in layer.getFeatures(core.QgsFeatureRequest()):
            if field_index >= 0 and _is_null(feature.attribute(field_index)):
                continue
            context.expressionContext().setFeature(feature)
            if not renderer.willRenderFeature(feature, context):
                unstyled.append(feature.id())
        renderer.stopRender(context)
        return unstyled

    def raster(self, layer: object, name: str, want: dict, where: str) -> None:
        if not layer.isValid():
            self.fail(f"{where}: raster '{name}' is not valid (source {layer.source()})")
            return
        if layer.crs().authid() != "EPSG:28992":
            self.fail(f"{where}: raster '{name}' is in {layer.crs().authid()!r}, not EPSG:28992")
        actual = layer.renderer().type() if layer.renderer() is not None else None
        if actual != want["renderer"]:
            self.fail(
                f"{where}: raster '{name}' renderer is {actual!r}, expected {want['renderer']!r}"
            )
            return
        items = layer.renderer().legendSymbologyItems()
        self.legend([str(label) for label, _ in items], name, want, where)

    def names_and_order(self, project: object, expected: dict) -> dict[str, object]:
        vectors, rasters = expected.get("layers", {}), expected.get("rasters", {})
        by_name = {layer.name(): layer for layer in project.mapLayers().values()}
        extra = sorted(set(by_name) - set(vectors) - set(rasters))
        missing = sorted((set(vectors) | set(rasters)) - set(by_name))
        if missing:
            self.fail(f"project lacks layers {missing}")
        if extra:
            self.fail(f"project has unexpected layers {extra}")
        if "order" in expected:
            drawn = [
                layer.name()
                for layer in project.layerTreeRoot().layerOrder()
                if layer.type() == self.core.QgsMapLayerType.RasterLayer or self.is_spatial(layer)
            ]
            if drawn != expected["order"]:
                self.fail(f"layer order is {drawn}, expected {expected['order']}")
        return by_name

    def layers(self, by_name: dict[str, object], expected: dict) -> None:
        core = self.core
        kinds = (
            ("layers", core.QgsMapLayerType.VectorLayer, self.vector, core.QgsVectorLayer, "ogr"),
            ("rasters", core.QgsMapLayerType.RasterLayer, self.raster, core.QgsRasterLayer, "gdal"),
        )
        noun = {"ogr": "vector", "gdal": "raster"}
        fresh_where = {
            "ogr": "fresh from GeoPackage",
            "gdal": "fresh from GeoTIFF with sidecar .qml",
        }
        for key, kind, check, cls, provider in kinds:
            for name, want in expected.get(key, {}).items():
                layer = by_name.get(name)
                if layer is None:
                    continue
                if layer.type() != kind:
                    self.fail(f"project: '{name}' is not a {noun[provider]} layer")
                    continue
                check(layer, name, want, "project")
                # Fresh from the file: the GeoPackage's default style (layer_styles) or the
                # raster's sidecar .qml must apply.
                check(cls(layer.source(), name, provider), name, want, fresh_where[provider])


def _check(project_path: Path, expected: dict, failures: list[str]) -> None:
    checker = _Checker(failures)
    project = checker.core.QgsProject.instance()
    if not project.read(str(project_path)):
        checker.fail(f"{project_path}: QGIS cannot read the project: {project.error()}")
        return
    if project.crs().authid() != "EPSG:28992":
        checker.fail(f"project CRS is {project.crs().authid()!r}, not EPSG:28992")
    checker.layers(checker.names_and_order(project, expected), expected)
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
