"""The command line: one plain line per failure with its exit code, one language at a time,
and a terminal summary that fits 80 columns."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pandas as pd
import pytest
import small_inputs as si
from rich.console import Console

import almere_gis as ag
import almere_gis.pipeline
from almere_gis.cli import main
from almere_gis.outputs.publish import output_lock
from almere_gis.outputs.summary import print_summary
from almere_gis.texts.format import number, percent


def _lines(captured: str) -> list[str]:
    return [line for line in captured.splitlines() if line.strip()]


def _error_lines(captured: str, prefix: str) -> list[str]:
    return [line for line in captured.splitlines() if line.startswith(prefix)]


# -- errors ---------------------------------------------------------------------------------


def test_an_error_is_one_plain_line_with_its_brackets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "s.toml"
    missing = tmp_path / "missing.csv"
    cfg.write_text(f'[paths]\nbusinesses = "{missing}"\n', encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert _error_lines(err, "fout: ") == [
        f"fout: {missing}: file not found (set as [paths] businesses in {cfg}). "
        "Fix: correct [paths] businesses"
    ]
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_message_with_tried_brackets_survives_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "export.csv"
    bad.write_text("nummer;naam\n1;A\n", encoding="utf-8")
    with pytest.raises(ag.InputError) as info:
        ag.load_businesses(bad)
    assert "[tried " in str(info.value)  # the message the CLI must print unchanged
    cfg = si.write_settings(tmp_path, {"businesses": bad})
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o"), "--lang", "en"]) == 2
    assert _error_lines(capsys.readouterr().err, "error: ") == [f"error: {info.value}"]


def test_a_second_run_is_refused_with_the_lock_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with output_lock(out):
        assert main(["run", "--out", str(out), "--lang", "en"]) == 2
    assert _error_lines(capsys.readouterr().err, "error: ") == [
        f"error: {out.absolute()}: another almere-gis run is writing this output folder. "
        "Fix: wait until it has finished, or choose another folder with --out."
    ]


def _failing_run(exc: BaseException) -> object:
    def run(*args: object, **kwargs: object) -> None:
        raise exc

    return run


def test_a_bug_is_one_line_with_the_saved_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(almere_gis.pipeline, "run", _failing_run(ValueError("boom [x]\nmore")))
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), "--lang", "en"]) == 3
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == 1
    line = lines[0]
    prefix = "error in almere-gis itself (ValueError: boom [x]); this is a bug, not a problem "
    assert line.startswith(prefix + "with your input. The full traceback is saved in ")
    saved = Path(line.split("saved in ")[1].split(": please report")[0])
    assert line.endswith(f"{saved}: please report it with that file. Nothing was written to {out}.")
    report = saved.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in report and "boom [x]" in report
    saved.unlink()


def test_ctrl_c_says_truthfully_what_out_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(almere_gis.pipeline, "run", _failing_run(KeyboardInterrupt()))
    assert main(["run", "--out", str(out)]) == 130
    assert _lines(capsys.readouterr().err) == [f"onderbroken: er is niets in {out} geschreven."]
    si.fake_previous_run(out)
    assert main(["run", "--out", str(out), "--lang", "en"]) == 130
    assert _lines(capsys.readouterr().err) == [
        f"interrupted: the previous outputs in {out} are unchanged (nothing was half written)."
    ]


def test_a_full_disk_is_not_called_a_bug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "x.tif"))
    monkeypatch.setattr(almere_gis.pipeline, "run", _failing_run(full))
    assert main(["run", "--out", str(tmp_path / "out"), "--lang", "en"]) == 2
    assert _lines(capsys.readouterr().err) == [
        f"error: {tmp_path / 'out' / 'x.tif'}: No space left on device. Fix: check the write "
        "permissions and the free disk space, or choose another folder with --out."
    ]


# -- one language at a time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "words", "foreign"),
    [
        ([], ["gebruik: almere-gis", "opties:", "toon deze hulp en stop", "opdrachten:"], "usage"),
        (["--lang", "en"], ["usage: almere-gis", "options:", "show this help message"], "opties"),
        ("env", ["usage: almere-gis", "options:", "run the analysis"], "opties"),
    ],
)
def test_help_follows_the_language(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: list[str] | str,
    words: list[str],
    foreign: str,
) -> None:
    if how == "env":
        monkeypatch.setenv("ALMERE_GIS_LANG", "en")
        how = []
    else:
        monkeypatch.delenv("ALMERE_GIS_LANG", raising=False)
    assert main([*how, "--help"]) == 0
    assert main([*how, "run", "--help"]) == 0
    shown = capsys.readouterr().out
    for word in words:
        assert word in shown
    assert foreign not in shown


def test_usage_errors_follow_the_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--lang", "de"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gebruik: almere-gis run")
    assert _error_lines(err, "almere-gis run: ") == [
        "almere-gis run: fout: argument --lang: ongeldige keuze 'de' (kies uit 'nl', 'en')"
    ]
    assert main(["--lang", "en", "rnu"]) == 2
    assert "invalid choice: 'rnu'" in capsys.readouterr().err


def test_an_unknown_language_in_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALMERE_GIS_LANG", "fr")
    assert main(["run"]) == 2
    assert _lines(capsys.readouterr().err) == [
        "fout: ALMERE_GIS_LANG = 'fr' is geen taal die almere-gis spreekt. Oplossing: gebruik nl "
        "of en."
    ]


def test_init_config_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "instellingen.toml"
    assert main(["init-config", str(target), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {target}: edit what you need")
    assert main(["init-config", str(target)]) == 2
    assert _lines(capsys.readouterr().err) == [
        f"fout: {target}: bestaat al. Oplossing: kies een andere naam of gebruik --force."
    ]


# -- the terminal summary -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    return ag.run(ag.load_settings(), out_dir=tmp_path_factory.mktemp("demo") / "out")


def _summary(result: ag.RunResult, lang: str) -> list[str]:
    console = Console(width=80, record=True, file=io.StringIO())
    print_summary(result, console, lang)
    return console.export_text().splitlines()


def test_the_summary_fits_80_columns_and_ends_with_the_paths(
    demo: ag.RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo.out_dir.parent)
    lines = _summary(demo, "nl")
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 40  # one screen: the headline never scrolls away
    share = percent(demo.city_value("aandeel_banen_in_woonbuurten"), 1, "nl")
    jobs = number(demo.city_value("banen_in_woonbuurten"), 0, "nl")
    total = number(demo.city_value("banen"), 0, "nl")
    assert lines[1] == f"Aandeel banen in woonbuurten: {share} ({jobs} van {total} banen)"
    assert any(line.startswith("Privacydrempel: 5 vestigingen") for line in lines)
    assert any(line.startswith("Gebiedstypen: ") for line in lines)
    # The top 10: a header and ten rows of rank, name, score and a robustness word.
    head = next(i for i, line in enumerate(lines) if line.startswith("Top 10 kandidaatlocaties"))
    rows = lines[head + 2 : head + 12]
    assert [int(r.split()[0]) for r in rows] == list(range(1, 11))
    assert all(r.rstrip().rsplit(None, 1)[-1] in {"altijd", "soms", "nooit"} for r in rows)
    top = demo.candidates.sort_values("rank").head(10)  # type: ignore[union-attr]
    assert rows[0].split(None, 1)[1].startswith(str(top["name"].iloc[0])[:30])
    assert lines[-4:] == [
        "Kaart: out/publicatie/kaart.html",
        "Samenvatting (PDF): out/publicatie/samenvatting.pdf",
        "Publicatie (mag gedeeld worden): out/publicatie",
        "Intern (vertrouwelijk): out/intern",
    ]


def test_the_summary_in_english(demo: ag.RunResult) -> None:
    text = "\n".join(_summary(demo, "en"))
    for word in ("Share of jobs in residential buurten", "Privacy threshold: 5 establishments"):
        assert word in text
    for dutch in ("Aandeel", "vestigingen", "altijd", "Kaart:", "Gebiedstypen"):
        assert dutch not in text


def test_the_summary_gives_the_notes_and_warns_of_one_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new-schema file without homes: every buurt falls to the default type; four buurten are
    # too few for a Gi* test with 6 neighbours; there are no candidate sites.
    paths = {
        "buurten": si.write_buurten(tmp_path, 4, schema="new", homes=False),
        "businesses": si.write_register(tmp_path, si.register(40)),
        "candidates": "",
    }
    # The notes are written in the run's language, so the run is in English too.
    cfg = si.write_settings(tmp_path, paths, map={"language": "en"}, sites={"language": "en"})
    result = ag.run(ag.load_settings(cfg), out_dir=tmp_path / "out", steps={"hotspots", "sites"})
    monkeypatch.chdir(tmp_path)
    lines = _summary(result, "en")
    assert max(len(line) for line in lines) <= 80
    text = " ".join(line.strip() for line in lines)
    gi = "Hot spots not tested on buurten: there are 4, and a test with 6 neighbours needs at least"
    assert f"{gi} 8" in text
    assert "No candidate sites given ([paths] candidates): no sites scored." in text
    assert "All 4 buurten are 'residential': check the rules in [typology]" in text
    assert "Top 10" not in text
    assert lines[-1] == "Internal (confidential): out/intern"
    assert pd.isna(result.buurten["gi_class"]).all()  # not tested, so no class at all


def test_the_writers_notes_reach_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    import almere_gis.pipeline.write as write

    real = write.make_map
    note = "The map loads Leaflet online: install XStatic-Leaflet for a map without network."

    def map_with_a_note(*args: object, **kwargs: object) -> object:
        return dataclasses.replace(real(*args, **kwargs), notes=(note,))  # type: ignore[arg-type]

    monkeypatch.setattr(write, "make_map", map_with_a_note)
    result = ag.run(ag.load_settings(), out_dir=tmp_path / "out", steps={"map"})
    assert result.notes == (note,)
    monkeypatch.chdir(tmp_path)
    assert f"- {note}" in " ".join(line.strip() for line in _summary(result, "en"))
