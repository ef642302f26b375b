"""The top sites as a table for the terminal (what ``almere-gis run`` prints)."""

from __future__ import annotations

__all__ = ["format_top"]

import pandas as pd

from .explain import fmt_number


def format_top(scored: pd.DataFrame, k: int, language: str = "nl") -> object:
    """The top ``k`` sites as a rich Table (what ``almere-gis run`` prints).

    Columns: rank, site id, name, score, and when present the rank stability (``p_top_k``,
    ``robust``), then the explanation. ``str(table)`` is not useful; print it with a rich
    Console, or use ``rich.console.Console().export_text()`` in tests.
    """
    from rich.table import Table

    nl = language == "nl"
    eligible = scored.loc[~scored["excluded"].astype(bool)].sort_values(
        ["rank", "site_id"], kind="stable"
    )
    top = eligible.head(int(k))
    n_excl = int(scored["excluded"].astype(bool).sum())
    title = (
        f"Top {len(top)} kandidaatlocaties ({len(eligible)} gescoord, {n_excl} uitgesloten)"
        if nl
        else f"Top {len(top)} candidate sites ({len(eligible)} scored, {n_excl} excluded)"
    )
    table = Table(title=title)
    table.add_column("#" if nl else "rank", justify="right")
    table.add_column("id")
    table.add_column("naam" if nl else "name")
    table.add_column("score", justify="right")
    stable = "p_top_k" in top.columns
    if stable:
        table.add_column("kans top k" if nl else "P(top k)", justify="right")
    table.add_column("toelichting" if nl else "explanation")
    for _, row in top.iterrows():
        cells = [
            str(row["rank"]),
            str(row["site_id"]),
            "" if pd.isna(row.get("name", pd.NA)) else str(row["name"]),
            fmt_number(float(row["score"]), 2, language),
        ]
        if stable:
            p = float(row["p_top_k"])
            mark = " *" if bool(row.get("robust", False)) else ""
            cells.append(f"{fmt_number(p * 100, 0, language)} %{mark}")
        cells.append(str(row["explanation"]))
        table.add_row(*cells)
    if stable:
        table.caption = (
            "* robuust: vaak in de top k bij gevarieerde gewichten"
            if nl
            else "* robust: often in the top k under perturbed weights"
        )
    return table
