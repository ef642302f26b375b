"""Settings: defaults, overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from almere_gis._errors import ConfigError
from almere_gis.cli import main
from almere_gis.settings import load_settings


def test_defaults_load() -> None:
    s = load_settings()
    assert s.privacy.min_count == 5
    assert s.density.kernel == "quartic"
    assert s.paths.buurten.name == "demo_buurten.shp"
    assert s.paths.wijken is None


def test_user_file_overrides_and_resolves_paths(tmp_path: Path) -> None:
    cfg = tmp_path / "mijn.toml"
    cfg.write_text(
        '[paths]\nbuurten = "data/buurten.gpkg"\n[classification]\nsmall_scale_max_jobs = 4\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.paths.buurten == tmp_path / "data" / "buurten.gpkg"
    assert s.classification.small_scale_max_jobs == 4
    assert s.classification.zzp_jobs == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[density]\nradius = 400\n", "unknown setting 'density.radius'"),
        ("[density]\nradius_m = 'wide'\n", "'density.radius_m' must be a number"),
        ("[density]\nkernel = 'gauss'\n", "density.kernel = 'gauss' is not one of"),
        ("[density\n", "not valid TOML"),
        ("[map]\nindicator = 'no_such_column'\n", "map.indicator 'no_such_column' is not an"),
        (
            "[density]\ncell_size_m = -25\n",
            r"density.cell_size_m = -25 is out of range .*5 to 1000",
        ),
        ("[hotspots]\nk = 0\n", r"hotspots.k = 0 is out of range .*allowed 1 to 50"),
        ("[map]\nscheme = 'FisherJenk'\n", "did you mean 'FisherJenks'"),
        ("[paths]\nbuurten = 3\n", r"paths.buurten = 3: must be text \(a file path"),
        ("[sites]\nwalk_m = 3000\n", "walk_m must not exceed cycle_m"),
    ],
)
def test_bad_settings_are_explained(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(cfg)
    assert str(cfg) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="init-config"):
        load_settings(tmp_path / "nope.toml")


def test_init_config_writes_loadable_commented_copy(tmp_path: Path) -> None:
    target = tmp_path / "instellingen.toml"
    assert main(["init-config", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.count("#") > 20
    assert load_settings(target).density.cell_size_m == 25.0
    # Refuses to overwrite without --force.
    assert main(["init-config", str(target)]) == 2
