"""The terminal summary of a run: what a planner reads when ``almere-gis run`` ends.

It fits 80 columns and one screen: the headline (share of jobs in residential buurten), the
counts, the privacy threshold, the area types with the typology rules that set them, the notes
of the run (repairs, fallbacks, skipped steps and why), the top candidate sites as a short
table (rank, name, score, how often in the top k), and last the paths of the map, the summary
PDF when there is one, and the two output folders. Explanations stay in the tables.

Every text comes from ``texts/summary.toml``; numbers are formatted for the language.
"""

from __future__ import annotations

__all__ = ["print_summary", "summary_renderables"]

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..texts import text
from ..texts.format import number, percent

if TYPE_CHECKING:
    from ..pipeline.results import RunResult

_NAME_WIDTH = 44


def _n(value: float, lang: str) -> str:
    return number(value, 0, lang)


def _line(message: str, style: str = "") -> Text:
    return Text(message, style=style)


def _headline(result: RunResult, lang: str) -> list[RenderableType]:
    city = result.city.set_index("indicator")["value"]
    acc = result.accounting["status"].value_counts()
    lines: list[RenderableType] = [
        _line(text("summary.title", lang), "bold"),
        _line(
            text(
                "summary.headline",
                lang,
                share=percent(city["aandeel_banen_in_woonbuurten"], 1, lang),
                jobs=_n(city["banen_in_woonbuurten"], lang),
                total=_n(city["banen"], lang),
            ),
            "bold",
        ),
        _line(
            text(
                "summary.counts",
                lang,
                joined=_n(acc.get("gekoppeld", 0), lang),
                outside=_n(acc.get("buiten", 0), lang),
                rejected=_n(acc.get("afgewezen", 0), lang),
                rows=_n(len(result.accounting), lang),
            )
        ),
        _line(
            text(
                "summary.kinds",
                lang,
                small=_n(city["vestigingen_kleinschalig"], lang),
                home=_n(city["vestigingen_aan_huis"], lang),
                zzp=_n(city["zzp"], lang),
                jobs=_n(city["banen"], lang),
            )
        ),
    ]
    return lines


def _privacy(result: RunResult, lang: str) -> tuple[list[RenderableType], list[str]]:
    n = result.settings.privacy.min_count
    shown = int((~result.buurten["suppressed"].astype(bool)).sum())
    line = text("summary.privacy", lang, n=n, shown=shown, buurten=len(result.buurten))
    notes = [text("summary.nothing_shown", lang, n=n)] if shown == 0 else []
    return [_line(line)], notes


def _area_type(key: str, lang: str) -> str:
    try:
        return text(f"summary.area_type.{key}", lang)
    except KeyError:
        return key


def _typology(result: RunResult, lang: str) -> list[RenderableType]:
    """The area types, and how many buurten each typology rule gave its type."""
    report = result.inputs.typology_report
    if report is None or report.empty:
        return []
    by_type = report.groupby("type", sort=False)["n_areas"].sum()
    by_type = by_type[by_type > 0]
    parts = [f"{_area_type(str(t), lang)} {_n(v, lang)}" for t, v in by_type.items()]
    lines: list[RenderableType] = [_line(f"{text('summary.typology', lang)} {', '.join(parts)}")]
    named = report["rule"].astype(str).str.len() > 0
    unused = named & (report["n_areas"] == 0)  # one line for the rules that typed no buurt
    for _, row in report.loc[named & ~unused].iterrows():
        rule = text(
            "summary.typology_rule",
            lang,
            rule=str(row["rule"]),
            type=_area_type(str(row["type"]), lang),
            n=_n(row["n_areas"], lang),
        )
        missing = str(row.get("missing_data", "") or "")
        lines.append(_line(f"  {rule}" + (f" ({missing})" if missing else ""), "dim"))
    if unused.any():
        numbers = report.loc[unused, "rule"].astype(str).str.split(".").str[0]
        gaps = report.loc[unused].get("missing_columns", pd.Series(dtype=str)).fillna("")
        columns = dict.fromkeys(c for g in gaps.astype(str) for c in g.split(", ") if c)
        lacking = text("inputs.typology.missing", lang, columns=", ".join(columns))
        line = text("inputs.typology.unused", lang, rules=", ".join(numbers))
        lines.append(_line(f"  {line}" + (f" ({lacking})" if columns else ""), "dim"))
    return lines


def _stability(top: pd.DataFrame, robust_probability: float) -> pd.Series:
    """The robustness word per site (always, sometimes, never): ``stability`` or ``p_top_k``."""
    if "stability" in top:
        return top["stability"].astype("string")
    p = pd.to_numeric(top.get("p_top_k"), errors="coerce").to_numpy(dtype=float)
    words = np.where(p >= robust_probability, "always", np.where(p > 0, "sometimes", "never"))
    return pd.Series(np.where(np.isnan(p), pd.NA, words), index=top.index, dtype="string")


def _top_table(result: RunResult, lang: str) -> list[RenderableType]:
    scored = result.candidates
    if scored is None:
        return []
    sites = result.settings.sites
    excluded = scored["excluded"].astype(bool)
    eligible = scored.loc[~excluded].sort_values(["rank", "site_id"], kind="stable")
    if eligible.empty:
        return [_line(text("summary.no_sites", lang))]
    top = eligible.head(sites.top_k)
    stability = _stability(top, sites.robust_probability)
    title = text(
        "summary.top_title",
        lang,
        k=len(top),
        scored=_n(len(eligible), lang),
        excluded=_n(int(excluded.sum()), lang),
    )
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, show_edge=False)
    table.add_column(text("summary.col_rank", lang), justify="right", no_wrap=True)
    table.add_column(
        text("summary.col_name", lang), no_wrap=True, overflow="ellipsis", max_width=_NAME_WIDTH
    )
    table.add_column(text("summary.col_score", lang), justify="right", no_wrap=True)
    table.add_column(text("summary.col_stability", lang, k=sites.top_k), no_wrap=True)
    for (_, row), word in zip(top.iterrows(), stability, strict=True):
        name = row.get("name")
        table.add_row(
            _n(row["rank"], lang),
            str(row["site_id"]) if pd.isna(name) else str(name),
            number(row["score"], 2, lang),
            "" if pd.isna(word) else text(f"summary.stability.{word}", lang),
        )
    caption = text("summary.top_caption", lang, k=sites.top_k, draws=_n(sites.draws, lang))
    return [table, _line(caption, "dim")]


def _shown_path(path: Path) -> str:
    """A path relative to the working folder when it lies below it (short), else absolute."""
    try:
        rel = Path(os.path.relpath(path))
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(rel) if not str(rel).startswith("..") else str(Path(path).absolute())


def _paths(result: RunResult, lang: str) -> list[RenderableType]:
    out = Path(result.out_dir)
    files = result.files
    pdf = files.get("summary")  # the one-page council summary, when it was written
    rows = [
        ("summary.path_map", files.get("map")),
        ("summary.path_pdf", pdf),
        ("summary.path_public", out / "publicatie"),
        ("summary.path_intern", out / "intern"),
    ]
    lines: list[RenderableType] = []
    for key, path in rows:
        if path is not None:
            lines.append(_line(f"{text(key, lang)} {_shown_path(Path(path))}"))
    return lines


def summary_renderables(result: RunResult, language: str) -> list[RenderableType]:
    """The summary of ``result`` as rich renderables, in ``language``, in reading order."""
    lang = language
    parts: list[RenderableType] = _headline(result, lang)
    privacy, privacy_notes = _privacy(result, lang)
    parts += privacy + _typology(result, lang)
    notes = [*result.analysis.notes, *result.notes, *privacy_notes]
    if notes:
        parts.append(_line(text("summary.notes", lang), "bold"))
        parts += [_line(f"- {note}") for note in notes]
    top = _top_table(result, lang)
    if top:
        parts += [_line(""), *top]
    parts += [_line(""), *_paths(result, lang)]
    return parts


def print_summary(result: RunResult, console: Console, language: str) -> None:
    """Print the summary of ``result`` on ``console`` (at most 80 columns wide).

    Long lines (notes) wrap at word boundaries within 80 columns; no markup in the data is
    interpreted, so brackets such as ``[paths]`` are printed as they are.
    """
    width = min(console.width, 80)
    for part in summary_renderables(result, language):
        console.print(part, width=width, highlight=False)
