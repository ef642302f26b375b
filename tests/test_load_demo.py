"""Settings find the shipped demo data (``demo:<name>``) and resolve paths where they are set."""

from __future__ import annotations

from pathlib import Path

import pytest

from almere_gis._errors import ConfigError
from almere_gis.datasets import DEMO_DATASETS, get_path
from almere_gis.settings import load_settings


def test_every_demo_dataset_is_found() -> None:
    for name, file in DEMO_DATASETS.items():
        path = get_path(name)
        assert path.is_file() and path.name == file
        assert get_path(f"demo:{name}") == path == get_path(file)
    assert get_path("demo_buurten").with_suffix(".dbf").is_file()


def test_an_unknown_demo_dataset() -> None:
    with pytest.raises(ConfigError) as err:
        get_path("demo:buurten")
    assert str(err.value) == (
        "unknown demo dataset 'demo:buurten'. Fix: use one of 'demo:demo_buurten',"
        " 'demo:demo_wijken', 'demo:demo_vestigingen', 'demo:demo_kandidaatlocaties'."
    )


def test_defaults_use_the_demo_and_the_current_folder() -> None:
    paths = load_settings().paths
    assert paths.buurten == get_path("demo_buurten")
    assert paths.businesses == get_path("demo_vestigingen")
    assert paths.candidates == get_path("demo_kandidaatlocaties")
    assert paths.out_dir == Path("out")  # the current folder's out/, wherever that is


def test_a_user_file_resolves_against_its_folder(tmp_path: Path) -> None:
    cfg = tmp_path / "sub" / "cfg.toml"
    cfg.parent.mkdir()
    cfg.write_text('[paths]\nwijken = "demo:demo_wijken"\nbusinesses = "reg.csv"\n', "utf-8")
    paths = load_settings(cfg).paths
    assert paths.wijken == get_path("demo_wijken")
    assert paths.businesses == cfg.parent.resolve() / "reg.csv"
    assert paths.buurten == get_path("demo_buurten")  # untouched default
    assert paths.out_dir == Path("out")


def test_a_wrong_demo_name_in_a_user_file(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[paths]\nbuurten = "demo:wijken"\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(err.value).startswith(f"{cfg}: [paths] unknown demo dataset 'demo:wijken'. Fix:")
