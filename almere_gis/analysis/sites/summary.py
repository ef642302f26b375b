"""The top sites as a table for the terminal (what ``almere-gis run`` prints)."""

from __future__ import annotations

__all__ = ["format_top"]

import pandas as pd

from ...texts import text
from ...texts.format import number, percent
from .criteria import site_settings
from .explain import full_settings


def _stability_cell(row: pd.Series, top_k: int, language: str) -> str:
    """``altijd in de top 10 (100 %)``: the stability word and the share of draws."""
    p = percent(row["p_top_k"], 0, language)
    key = row.get("stability", pd.NA)
    if isinstance(key, str):
        return f"{text(f'sites.stability.{key}', language, k=top_k)} ({p})"
    return p


def format_top(
    scored: pd.DataFrame, k: int, language: str = "nl", settings: object | None = None
) -> object:
    """The top ``k`` sites as a rich Table (what ``almere-gis run`` prints).

    Columns: rank, site id, name, score, and when present the rank stability (``stability``
    in words with ``p_top_k``), then the explanation. ``settings`` (the whole Settings object)
    gives top k, the number of draws and the "always" threshold of the caption (the defaults
    otherwise). ``str(table)`` is not useful; print it with a rich Console, or use
    ``rich.console.Console().export_text()`` in tests.
    """
    from rich.table import Table

    s = full_settings(None).sites if settings is None else site_settings(settings)
    eligible = scored.loc[~scored["excluded"].astype(bool)].sort_values(
        ["rank", "site_id"], kind="stable"
    )
    top = eligible.head(int(k))
    n_excl = int(scored["excluded"].astype(bool).sum())

    def t(key: str, **values: object) -> str:
        return text(f"sites.table.{key}", language, **values)

    table = Table(title=t("title", n=len(top), scored=len(eligible), excluded=n_excl))
    table.add_column(t("rank"), justify="right")
    table.add_column("id")
    table.add_column(t("name"))
    table.add_column(t("score"), justify="right")
    stable = "p_top_k" in top.columns
    if stable:
        table.add_column(t("stability", k=s.top_k))
    table.add_column(t("explanation"))
    for _, row in top.iterrows():
        cells = [
            str(row["rank"]),
            str(row["site_id"]),
            "" if pd.isna(row.get("name", pd.NA)) else str(row["name"]),
            number(row["score"], 2, language),
        ]
        if stable:
            cells.append(_stability_cell(row, s.top_k, language))
        cells.append(str(row["explanation"]))
        table.add_row(*cells)
    if stable:
        always = percent(s.always_probability, 0, language)
        draws = number(s.draws, 0, language)
        table.caption = t("caption", k=s.top_k, always=always, draws=draws)
    return table
