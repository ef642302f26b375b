"""Publishing a run: all at once or not at all, one run at a time, only into our own folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import small_inputs as si

from almere_gis._errors import ConfigError, RunLockedError
from almere_gis.outputs import publish
from almere_gis.outputs.publish import MANIFEST, output_lock, read_manifest, staged_output


def _publish(out: Path, files: dict[str, str]) -> None:
    with staged_output(out) as staging:
        for name, content in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(content, encoding="utf-8")


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_new_set_replaces_the_old_one_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, {"publicatie/a.csv": "1", "publicatie/kandidaten.csv": "2"})
    first = read_manifest(out)
    _publish(out, {"publicatie/a.csv": "3"})
    second = read_manifest(out)
    assert first is not None and second is not None
    assert first["run_id"] != second["run_id"]
    # The earlier run's candidate file does not survive a run that writes none.
    assert si.folder_state(out) == {
        "publicatie/a.csv": b"3",
        MANIFEST: (out / MANIFEST).read_bytes(),
    }
    assert second["files"] == ["publicatie/a.csv"]
    assert si.manifest_matches_files(out)
    assert _leftovers(out) == [".out.lock"]  # no staging folder or old set left behind


@pytest.mark.parametrize("interruption", [RuntimeError("failed"), KeyboardInterrupt()])
def test_an_interrupted_run_leaves_the_folder_as_it_was(
    tmp_path: Path, interruption: BaseException
) -> None:
    out = tmp_path / "out"
    _publish(out, {"publicatie/a.csv": "1"})
    before = si.folder_state(out)
    with pytest.raises(type(interruption)), staged_output(out) as staging:
        (staging / "publicatie").mkdir()
        (staging / "publicatie" / "a.csv").write_text("half", encoding="utf-8")
        raise interruption
    assert si.folder_state(out) == before
    assert _leftovers(out) == [".out.lock"]


def test_a_folder_we_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "documenten"
    mine.mkdir()
    (mine / "brief.txt").write_text("van de gebruiker", encoding="utf-8")
    with pytest.raises(ConfigError) as info, output_lock(mine):
        pass
    assert str(info.value) == (
        f"{mine.absolute()}: the output folder holds files that almere-gis did not write, and a "
        "run replaces its output folder as a whole. Fix: choose a new or empty folder with "
        "--out (or [paths] out_dir)."
    )
    assert (mine / "brief.txt").read_text(encoding="utf-8") == "van de gebruiker"
    a_file = tmp_path / "uitvoer.txt"
    a_file.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError), output_lock(a_file):
        pass
    empty = tmp_path / "leeg"
    empty.mkdir()
    _publish(empty, {"x.txt": "1"})  # an empty folder may be used
    assert (empty / "x.txt").is_file()


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out):
        with pytest.raises(RunLockedError) as info, output_lock(out):
            pass
        assert str(info.value) == (
            f"{out.absolute()}: another almere-gis run is writing this output folder. Fix: wait "
            "until it has finished, or choose another folder with --out."
        )
    with output_lock(out):  # released again
        pass


def test_the_fallback_swap_and_its_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where the system cannot exchange two folders atomically, the old set is renamed aside and
    # the new one renamed in. Killed between the two renames, the next run puts the old set back.
    out = tmp_path / "out"
    _publish(out, {"a.csv": "old"})
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    _publish(out, {"a.csv": "new"})
    assert (out / "a.csv").read_text(encoding="utf-8") == "new"
    assert _leftovers(out) == [".out.lock"]

    _publish(out, {"a.csv": "old"})
    before = si.folder_state(out)
    real_rename = os.rename
    calls: list[tuple[str, str]] = []

    def rename_then_die(src: str | Path, dst: str | Path) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) == 2:  # the second rename, the new set into place, never happens
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(publish.os, "rename", rename_then_die)
    with pytest.raises(KeyboardInterrupt):
        _publish(out, {"a.csv": "newer"})
    monkeypatch.setattr(publish.os, "rename", real_rename)
    assert not out.exists()  # the state a kill between the renames leaves
    with output_lock(out):  # the next run recovers, under the lock
        pass
    assert si.folder_state(out) == before
    assert _leftovers(out) == [".out.lock"]


def test_leftovers_of_a_killed_run_are_cleaned_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, {"a.csv": "1"})
    stale = tmp_path / ".out.staging-killed"
    (stale / "publicatie").mkdir(parents=True)
    (stale / "publicatie" / "half.tif").write_bytes(b"\0" * 10)
    before = si.folder_state(out)
    _publish(out, {"a.csv": "2"})
    assert not stale.exists()
    assert si.folder_state(out) != before and _leftovers(out) == [".out.lock"]


def test_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert read_manifest(out) is None
    _publish(out, {"publicatie/b.csv": "1", "intern/a.csv": "2"})
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["program"] == "almere_gis"
    assert manifest["files"] == ["intern/a.csv", "publicatie/b.csv"]
    assert len(manifest["run_id"]) == 32
    (out / MANIFEST).write_text("not json", encoding="utf-8")
    assert read_manifest(out) is None
