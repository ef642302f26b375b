"""The QML builders: exact classes, colours and labels; degenerate classings never fail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from almere_gis.outputs import qgis as export
from almere_gis.outputs.style import DENSITY_RAMP


def test_qml_graduated_ranges() -> None:
    qml = export.qml_graduated(
        "v", [1.5, 10.0, 100.0], ["#ffeda0", "#feb24c", "#f03b20"], "MultiPolygon", minimum=0.5
    )
    root = ET.fromstring(qml)
    ranges = root.findall("renderer-v2/ranges/range")
    assert [(float(r.get("lower")), float(r.get("upper"))) for r in ranges] == [
        (0.5, 1.5),
        (1.5, 10.0),
        (10.0, 100.0),
    ]
    assert [r.get("label") for r in ranges] == ["0,5 tot 1,5", "1,5 tot 10", "10 tot 100"]
    english = ET.fromstring(
        export.qml_graduated("v", [1500.0], ["#ffeda0"], 2, minimum=0.26, language="en")
    )
    assert english.find("renderer-v2/ranges/range").get("label") == "0.3 to 1,500"
    assert root.findtext("layerGeometryType") == "2"
    with pytest.raises(ValueError, match="one colour per class"):
        export.qml_graduated("v", [1.0, 2.0], ["#000000"], 2)
    with pytest.raises(ValueError, match="not ascending"):
        export.qml_graduated("v", [2.0, 1.0], ["#000000", "#ffffff"], 2)
    with pytest.raises(ValueError, match="not all finite"):
        export.qml_graduated("v", [float("nan")], ["#000000"], 2)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_class_gives_a_too_few_style(language: str) -> None:
    root = ET.fromstring(export.qml_graduated("v", [], [], "Point", language=language))
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    (category,) = renderer.findall("categories/category")
    expected = {"nl": "Te weinig om te tonen", "en": "Too few to show"}[language]
    assert category.get("label") == expected
    assert renderer.get("attr") == "'too_few'"  # every feature matches the one category
    assert root.findtext("layerGeometryType") == "0"
    custom = ET.fromstring(export.qml_graduated("v", [], [], 2, empty_label="Niets"))
    assert custom.find("renderer-v2/categories/category").get("label") == "Niets"


def test_one_class_and_equal_bounds() -> None:
    ranges = ET.fromstring(export.qml_graduated("v", [7.0], ["#f03b20"], 2)).findall(".//range")
    assert [(r.get("lower"), r.get("upper"), r.get("label")) for r in ranges] == [
        ("0.0", "7.0", "0 tot 7")
    ]
    negative = ET.fromstring(export.qml_graduated("v", [-2.0], ["#f03b20"], 2))
    assert negative.find(".//range").get("lower") == "-2.0"  # the class holds its only value


def test_qml_categorized_and_ranked() -> None:
    point = ET.fromstring(export.qml_categorized("c", [(1, "#ff0000", "een")], 0))
    assert point.find("renderer-v2/symbols/symbol").get("type") == "marker"
    assert point.find("renderer-v2/categories/category").get("value") == "1"
    with pytest.raises(ValueError, match="duplicate"):
        export.qml_categorized("c", [("a", "#ff0000", "a"), ("a", "#00ff00", "b")], 0)
    with pytest.raises(ValueError, match="#rrggbb"):
        export.qml_categorized("c", [("a", "red", "a")], 0)
    ranked = ET.fromstring(export.qml_ranked_points(2, top_k=3, excluded_field=None))
    attr = ranked.find("renderer-v2").get("attr")
    assert '"rank" <= 3' in attr and "excluded" not in attr
    assert [c.get("value") for c in ranked.findall("renderer-v2/categories/category")] == [
        "top",
        "other",
    ]
    labels = [c.get("label") for c in ranked.findall("renderer-v2/categories/category")]
    assert labels == ["Top 3", "Overige kandidaten"]
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        export.qml_ranked_points(0, top_k=0)


def test_qml_single_quotes_its_key() -> None:
    renderer = ET.fromstring(export.qml_single("o'neill", "#333333", "x", 1)).find("renderer-v2")
    assert renderer.get("attr") == "'o''neill'"
    assert renderer.find("symbols/symbol").get("type") == "line"


def test_qml_raster_pseudocolor_stops() -> None:
    root = ET.fromstring(export.qml_raster_pseudocolor(DENSITY_RAMP, 10.0, 60.0, units="per km²"))
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor"
    shader = renderer.find("rastershader/colorrampshader")
    assert shader.get("colorRampType") == "INTERPOLATED"
    items = shader.findall("item")
    assert [float(i.get("value")) for i in items] == pytest.approx(
        [10.0 + f * 50.0 for f, _ in DENSITY_RAMP]
    )
    assert [i.get("color") for i in items] == [c for _, c in DENSITY_RAMP]
    assert items[-1].get("label") == "60 per km²"
    open_top = ET.fromstring(export.qml_raster_pseudocolor(vmin=0.0, vmax=2.0, open_top=True))
    assert open_top.findall(".//item")[-1].get("label") == "2 of meer"
    with pytest.raises(ValueError, match="finite vmin and vmax"):
        export.qml_raster_pseudocolor(DENSITY_RAMP, 0.0, float("inf"))


def test_raster_without_range_says_too_few() -> None:
    for vmin, vmax in ((0.0, 0.0), (5.0, 1.0)):
        root = ET.fromstring(export.qml_raster_pseudocolor(DENSITY_RAMP, vmin, vmax))
        items = root.findall(".//item")
        assert [(float(i.get("value")), i.get("label")) for i in items] == [
            (vmin, "Te weinig om te tonen")
        ]
        shader = root.find(".//colorrampshader")
        assert shader.get("minimumValue") == shader.get("maximumValue")
