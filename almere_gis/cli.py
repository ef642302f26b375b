"""Command line: ``almere-gis run | validate | init-config | demo-data | fetch-cbs``.

A thin wrapper around the public functions: it parses arguments, shows progress and turns our
errors into one clear line and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._errors import AccountingError, ConfigError, InputError

console = Console(stderr=True)
out_console = Console()


def _fmt(value: float, *, pct: bool = False) -> str:
    if pct:
        return f"{value * 100:.1f} %".replace(".", ",")
    return f"{value:,.0f}".replace(",", ".")


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import STEPS, run
    from .settings import load_settings
    from .texts import text

    settings = load_settings(args.config)
    if args.self_contained:
        settings = settings.replace("map", self_contained=True)
    if args.lang:
        settings = settings.replace("map", language=args.lang).replace("sites", language=args.lang)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("start", total=len(STEPS))
        seen: list[str] = []

        lang = settings.map.language

        def on_step(key: str) -> None:
            if seen:
                progress.advance(task)
            seen.append(key)
            progress.update(task, description=text(f"run.step.{key}", lang))

        result = run(settings, out_dir=args.out, on_step=on_step)
        progress.update(task, completed=len(STEPS), description=text("run.done", lang))

    table = Table(title="almere_gis: samenvatting")
    table.add_column("indicator")
    table.add_column("waarde", justify="right")
    for _, row in result.city.iterrows():
        key = str(row["indicator"])
        table.add_row(key, _fmt(float(row["value"]), pct=key.startswith("aandeel")))
    out_console.print(table)
    share = result.city_value("aandeel_banen_in_woonbuurten")
    jobs = result.city_value("banen_in_woonbuurten")
    out_console.print(f"Aandeel banen in woonbuurten: {_fmt(share, pct=True)} ({_fmt(jobs)} banen)")
    if result.repaired_areas:
        out_console.print(
            "Ongeldige polygonen gerepareerd (make_valid): " + ", ".join(result.repaired_areas)
        )
    if result.candidates is not None:
        from .analysis.sites import format_top

        out_console.print(
            format_top(result.candidates, settings.sites.top_k, settings.sites.language)
        )
    out_console.print(
        f"Uitvoer: {len(result.outputs)} bestanden in {args.out or settings.paths.out_dir}"
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .io.businesses import validate_businesses
    from .settings import load_settings

    settings = load_settings(args.config)
    b = settings.businesses
    report = validate_businesses(
        args.file,
        preset=args.preset or b.preset,
        columns=b.columns,
        crs=b.crs,
        swapped_latlon=b.swapped_latlon,
        home_gebruiksdoel=settings.classification.home_gebruiksdoel,
    )
    for line in report.lines():
        out_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.ok:
        out_console.print(f"{args.file}: no problems found")
        return 0
    out_console.print(f"{args.file}: {len(report.problems)} problem(s)")
    return 1


def _cmd_init_config(args: argparse.Namespace) -> int:
    from .io.atomic import write_text
    from .settings import default_settings_text

    path = Path(args.path)
    if path.exists() and not args.force:
        raise ConfigError(f"{path}: already exists. Fix: choose another name or pass --force.")
    write_text(default_settings_text(), path)
    out_console.print(f"wrote {path}: edit what you need, then `almere-gis run --config {path}`")
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from .datasets.generate import generate_demo_data

    kwargs = {} if args.seed is None else {"seed": args.seed}
    written = generate_demo_data(args.out, **kwargs)
    for path in written:
        out_console.print(f"wrote {path}")
    return 0


def _cmd_fetch_cbs(args: argparse.Namespace) -> int:
    from .io.fetch import fetch_cbs

    kwargs = {} if args.year is None else {"year": args.year}
    path = fetch_cbs(gemeente=args.gemeente, out_path=args.out, **kwargs)
    out_console.print(
        f'wrote {path}. Use it in a settings file:\n[paths]\nbuurten = "{path}"\n'
        f'buurten_layer = "buurten"\nwijken = "{path}"\nwijken_layer = "wijken"',
        markup=False,
        highlight=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="almere-gis",
        description="Where a city's small-scale economy lives, and where to give it room.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show detailed log")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the analysis (default: the embedded demo data)")
    p.add_argument("--config", type=Path, help="settings TOML (see init-config)")
    p.add_argument("--out", type=Path, help="output folder (default: [paths] out_dir)")
    p.add_argument("--lang", choices=["nl", "en"], help="language of the map and explanations")
    p.add_argument("--self-contained", action="store_true", help="map works without network")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="report the problems of a business file")
    p.add_argument("file", type=Path)
    p.add_argument("--config", type=Path)
    p.add_argument("--preset", choices=["lisa", "kvk", "custom"])
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("init-config", help="write a commented settings file")
    p.add_argument("path", nargs="?", default="almere_gis.toml")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=_cmd_init_config)

    p = sub.add_parser("demo-data", help="regenerate the embedded demo data")
    p.add_argument("--out", type=Path, default=Path("shapefiles"))
    p.add_argument("--seed", type=int)
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser("fetch-cbs", help="download official CBS wijken and buurten (online)")
    p.add_argument("--gemeente", default="GM0034")
    p.add_argument("--year", type=int, default=None, help="CBS release year (default: recent)")
    p.add_argument("--out", type=Path)
    p.set_defaults(func=_cmd_fetch_cbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``almere-gis`` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    try:
        return int(args.func(args))
    except (InputError, ConfigError, AccountingError, OSError) as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted; no partial outputs were left behind")
        return 130


if __name__ == "__main__":
    sys.exit(main())
