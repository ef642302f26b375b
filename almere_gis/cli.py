"""Command line: ``almere-gis run | run-many | validate | init-config | demo-data | fetch-cbs``.

A thin wrapper around the public functions: it parses arguments, shows progress and a
summary, and turns every failure into one plain line and an exit code:

====  ======================================================================================
code  meaning
====  ======================================================================================
0     done
1     ``validate`` found problems in the file
2     an error in the inputs, the settings or the environment (the package's own errors,
      a folder that cannot be written): the line names the file, the problem and the fix
3     a bug in almere-gis: the line says so and where the full traceback was saved
130   interrupted (Ctrl-C): the line says truthfully what ``out/`` now holds
====  ======================================================================================

Every text is in one language at a time (``--lang``, else the environment variable
``ALMERE_GIS_LANG``, else the run's settings, else Dutch), from the text catalogue.
"""

from __future__ import annotations

__all__ = ["build_parser", "main"]

import argparse
import errno
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

from ._errors import AlmereGisError, ConfigError
from .texts import LANGUAGES, text

console = Console(stderr=True)
out_console = Console()

ENV_LANG = "ALMERE_GIS_LANG"
# OSErrors caused by the computer, not by almere-gis: reported like an input error (exit 2).
_ENVIRONMENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EMFILE}
)


@dataclass
class _State:
    """What a command has got to, so that the line after an interruption is true."""

    lang: str
    command: str = ""
    out: Path | None = None
    run_before: str | None = None


def _say(message: str, *, style: str = "") -> None:
    """One plain line on stderr: no markup, no highlighting, no inserted line breaks."""
    console.print(Text(message, style=style), soft_wrap=True, highlight=False)


# --------------------------------------------------------------------------------------------
# the parser, in the chosen language
# --------------------------------------------------------------------------------------------

_ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^the following arguments are required: (?P<names>.*)$"), "required"),
    (
        re.compile(
            r"^argument (?P<name>[^:]+): invalid choice: (?P<value>.*) \(choose from "
            r"(?P<choices>.*)\)$"
        ),
        "invalid_choice",
    ),
    (
        re.compile(r"^argument (?P<name>[^:]+): invalid \S+ value: (?P<value>.*)$"),
        "invalid_value",
    ),
    (re.compile(r"^argument (?P<name>[^:]+): expected one argument$"), "expected_one"),
    (re.compile(r"^unrecognized arguments: (?P<names>.*)$"), "unrecognized"),
    (
        re.compile(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.*)$"),
        "ambiguous",
    ),
)


def _argparse_message(message: str, lang: str) -> str:
    """The English message of argparse in ``lang`` (unknown messages are kept as they are)."""
    for pattern, key in _ARGPARSE_MESSAGES:
        found = pattern.match(message)
        if found:
            return text(f"cli.argparse.{key}", lang, **found.groupdict())
    return message


def _formatter(lang: str) -> type[argparse.HelpFormatter]:
    class Formatter(argparse.RawDescriptionHelpFormatter):
        def add_usage(
            self,
            usage: str | None,
            actions: Any,
            groups: Any,
            prefix: str | None = None,
        ) -> None:
            if prefix is None:
                prefix = text("cli.usage", lang)
            super().add_usage(usage, actions, groups, prefix)

    return Formatter


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose own words (usage, titles, help, errors) follow the language."""

    def __init__(self, *args: Any, lang: str = "nl", **kwargs: Any) -> None:
        self.lang = lang
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", _formatter(lang))
        super().__init__(*args, **kwargs)
        self._positionals.title = text("cli.positionals", lang)
        self._optionals.title = text("cli.optionals", lang)
        self.add_argument("-h", "--help", action="help", help=text("cli.help.help", lang))
        self.add_argument(
            "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=text("cli.help.lang", lang)
        )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        line = text("cli.error", self.lang, message=_argparse_message(message, self.lang))
        self.exit(2, f"{self.prog}: {line}\n")


def _parser_class(lang: str) -> type[_Parser]:
    """_Parser for the subcommands, in the same language as the main parser."""

    class Parser(_Parser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("lang", lang)
            super().__init__(*args, **kwargs)

    return Parser


def build_parser(lang: str = "nl") -> argparse.ArgumentParser:
    """The ``almere-gis`` argument parser, with help in ``lang``."""

    def h(key: str) -> str:
        return text(f"cli.help.{key}", lang)

    parser = _Parser(
        prog="almere-gis",
        description=text("cli.description", lang),
        epilog=text("cli.epilog", lang),
        lang=lang,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=h("verbose"))
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        title=text("cli.commands", lang),
        metavar="{run,run-many,validate,init-config,demo-data,fetch-cbs}",
        parser_class=_parser_class(lang),
    )

    p = sub.add_parser("run", help=h("run"), description=h("run"))
    p.add_argument("--config", type=Path, help=h("config"))
    p.add_argument("--out", type=Path, help=h("out"))
    p.add_argument("--self-contained", action="store_true", help=h("self_contained"))
    p.set_defaults(func=_cmd_run)
    _add_run_many(sub, h)

    p = sub.add_parser("validate", help=h("validate"), description=h("validate"))
    p.add_argument("file", type=Path, help=h("file"))
    p.add_argument("--config", type=Path, help=h("config"))
    p.add_argument("--preset", choices=["lisa", "kvk", "custom"], help=h("preset"))
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("init-config", help=h("init_config"), description=h("init_config"))
    p.add_argument("path", nargs="?", default="almere_gis.toml", help=h("path"))
    p.add_argument("--force", action="store_true", help=h("force"))
    p.set_defaults(func=_cmd_init_config)

    p = sub.add_parser("demo-data", help=h("demo_data"), description=h("demo_data"))
    p.add_argument("--out", type=Path, default=Path("shapefiles"), help=h("demo_out"))
    p.add_argument("--seed", type=int, help=h("seed"))
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser("fetch-cbs", help=h("fetch_cbs"), description=h("fetch_cbs"))
    p.add_argument("--gemeente", default="GM0034", help=h("gemeente"))
    p.add_argument("--year", type=int, default=None, help=h("year"))
    p.add_argument("--out", type=Path, help=h("fetch_out"))
    p.add_argument("--kerncijfers-out", type=Path, help=h("kerncijfers_out"))
    p.add_argument("--no-kerncijfers", action="store_true", help=h("no_kerncijfers"))
    p.set_defaults(func=_cmd_fetch_cbs)
    return parser


def _language(argv: Sequence[str]) -> str | None:
    """The language asked for: ``--lang`` in ``argv``, else ``ALMERE_GIS_LANG``, else None.

    An unknown ``--lang`` value is left to the parser, which names the choices.
    """
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in LANGUAGES else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
            return value if value in LANGUAGES else None
    env = os.environ.get(ENV_LANG, "").strip()
    return env if env in LANGUAGES else None


# --------------------------------------------------------------------------------------------
# the commands
# --------------------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace, lang: str, state: _State) -> int:
    from .outputs.publish import read_manifest
    from .outputs.summary import print_summary
    from .pipeline import run
    from .settings import load_settings

    settings = load_settings(args.config)
    if args.self_contained:
        settings = settings.replace("map", self_contained=True)
    if args.lang_given:
        settings = settings.replace("map", language=lang).replace("sites", language=lang)
    state.lang = lang = settings.map.language
    out = Path(args.out) if args.out is not None else settings.paths.out_dir
    manifest = read_manifest(out)
    state.out, state.run_before = out, None if manifest is None else manifest.get("run_id")
    result = run(settings, out_dir=out, on_step=_progress(lang))
    print_summary(result, out_console, lang)
    return 0


def _add_run_many(sub: Any, h: Callable[[str], str]) -> None:
    p = sub.add_parser("run-many", help=h("run_many"), description=h("run_many"))
    p.add_argument("gemeenten", nargs="*", help=h("many_gemeenten"))
    p.add_argument("--province", help=h("many_province"))
    p.add_argument("--all", dest="all_gemeenten", action="store_true", help=h("many_all"))
    p.add_argument("--config", type=Path, help=h("config"))
    p.add_argument("--out", type=Path, help=h("many_out"))
    p.add_argument("--scheduler", help=h("many_scheduler"))
    p.add_argument("--workers", type=int, help=h("many_workers"))
    p.set_defaults(func=_cmd_run_many)


def _cmd_run_many(args: argparse.Namespace, lang: str, state: _State) -> int:
    from .many import Outcome, run_many
    from .settings import load_settings
    from .texts.format import number, percent

    settings = load_settings(args.config)
    if args.lang_given:
        settings = settings.replace("map", language=lang).replace("sites", language=lang)
    state.lang = lang = settings.map.language

    def on_done(o: Outcome, i: int, n: int) -> None:
        where = {"i": i, "n": n, "code": o.code, "name": o.name}
        if o.ok:
            share = percent(o.figures.get("aandeel_banen_in_woonbuurten"), 1, lang)
            _say(
                text(
                    "cli.many.done", lang, seconds=number(o.seconds, 1, lang), share=share, **where
                )
            )
        else:
            _say(text("cli.many.failed", lang, error=o.error, **where), style="red")

    result = run_many(
        settings,
        gemeenten=args.gemeenten,
        province=args.province,
        all_gemeenten=args.all_gemeenten,
        out_dir=args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        on_done=on_done,
    )
    ok = sum(o.ok for o in result.outcomes)
    line = text(
        "cli.many.summary",
        lang,
        ok=ok,
        n=len(result.outcomes),
        failed=len(result.outcomes) - ok,
        rejected=result.n_rejected,
        outside=result.n_outside,
        table=result.files["table"],
        map=result.files.get("map", "-"),
    )
    out_console.print(Text(line), soft_wrap=True, highlight=False)
    return 0 if ok == len(result.outcomes) else 2


def _progress(lang: str) -> Callable[[str], None]:
    """One line per step on stderr (a terminal shows the same lines, as the run goes)."""
    from .pipeline import STEPS

    def on_step(key: str) -> None:
        i = STEPS.index(key) + 1
        label = text(f"run.step.{key}", lang)
        _say(text("cli.progress_line", lang, i=i, n=len(STEPS), label=label), style="dim")

    return on_step


def _cmd_validate(args: argparse.Namespace, lang: str, state: _State) -> int:
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
        out_console.print(Text(line), soft_wrap=True, highlight=False)
    if report.ok:
        out_console.print(Text(text("cli.validate_ok", lang, file=args.file)), soft_wrap=True)
        return 0
    message = text("cli.validate_problems", lang, file=args.file, n=len(report.problems))
    out_console.print(Text(message), soft_wrap=True)
    return 1


def _cmd_init_config(args: argparse.Namespace, lang: str, state: _State) -> int:
    from .io.atomic import write_text
    from .settings import default_settings_text

    path = Path(args.path)
    if path.exists() and not args.force:
        raise ConfigError(text("cli.init_exists", lang, path=path))
    write_text(default_settings_text(), path)
    out_console.print(Text(text("cli.init_written", lang, path=path)), soft_wrap=True)
    return 0


def _cmd_demo_data(args: argparse.Namespace, lang: str, state: _State) -> int:
    from .datasets.generate import generate_demo_data

    kwargs = {} if args.seed is None else {"seed": args.seed}
    for path in generate_demo_data(args.out, **kwargs):
        out_console.print(Text(text("cli.wrote", lang, path=path)), soft_wrap=True)
    return 0


def _cmd_fetch_cbs(args: argparse.Namespace, lang: str, state: _State) -> int:
    from .io.fetch import DEFAULT_YEAR, fetch_cbs
    from .io.fetch_kerncijfers import fetch_kerncijfers

    year = DEFAULT_YEAR if args.year is None else args.year
    path = fetch_cbs(gemeente=args.gemeente, year=year, out_path=args.out)
    snippet = (
        f'[paths]\nbuurten = "{path}"\nbuurten_layer = "buurten"\n'
        f'wijken = "{path}"\nwijken_layer = "wijken"'
    )
    out_console.print(Text(text("cli.fetch_written", lang, path=path) + "\n" + snippet))
    if not args.no_kerncijfers:
        figures = fetch_kerncijfers(args.gemeente, year, args.kerncijfers_out)
        out_console.print(Text(text("cli.fetch_kerncijfers_written", lang, path=figures)))
    return 0


# --------------------------------------------------------------------------------------------
# the one place where failures become lines and exit codes
# --------------------------------------------------------------------------------------------


def _outputs_sentence(state: _State, lang: str, *, interrupted: bool) -> str:
    """What ``out/`` holds now, read from its manifest: true whatever happened."""
    from .outputs.publish import read_manifest

    if state.out is None:
        if state.command == "run":  # before the run began: nothing can have been written
            return text("cli.interrupted_early" if interrupted else "cli.outputs_untouched", lang)
        return text("cli.interrupted", lang) if interrupted else ""
    manifest = read_manifest(state.out)
    now = None if manifest is None else manifest.get("run_id")
    if now is not None and now != state.run_before:
        key = "published"
    elif state.run_before is not None:
        key = "unchanged"
    else:
        key = "nothing"
    prefix = "cli.interrupted_" if interrupted else "cli.outputs_"
    return text(prefix + key, lang, out=state.out)


def _save_traceback(argv: Sequence[str]) -> Path:
    """The full traceback of the exception being handled, in a file in the temp folder."""
    from . import __version__

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, name = tempfile.mkstemp(prefix=f"almere-gis-traceback-{stamp}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"almere-gis {__version__}, python {sys.version.split()[0]}\n")
        f.write(f"arguments: {' '.join(argv)}\n\n")
        f.write(traceback.format_exc())
    return Path(name)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _guarded(args: argparse.Namespace, lang: str, argv: Sequence[str]) -> int:
    state = _State(lang=lang, command=str(args.command))
    try:
        return int(args.func(args, lang, state))
    except AlmereGisError as exc:
        message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        _say(text("cli.error", state.lang, message=message), style="red")
        return 2
    except KeyboardInterrupt:
        _say(_outputs_sentence(state, state.lang, interrupted=True))
        return 130
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            return _bug(exc, state, argv)
        problem = exc.strerror or type(exc).__name__
        fix = text("cli.system_fix", state.lang)
        line = text("cli.system", state.lang, path=exc.filename, problem=problem, fix=fix)
        _say(line, style="red")
        return 2
    except Exception as exc:
        return _bug(exc, state, argv)


def _bug(exc: BaseException, state: _State, argv: Sequence[str]) -> int:
    lang = state.lang
    path = _save_traceback(argv)
    line = text("cli.bug", lang, kind=type(exc).__name__, message=_first_line(exc), path=path)
    _say(" ".join(filter(None, [line, _outputs_sentence(state, lang, interrupted=False)])))
    return 3


class _LevelFormatter(logging.Formatter):
    """``waarschuwing: <message>``: the level in the CLI's language, then the message."""

    def __init__(self, lang: str) -> None:
        super().__init__("%(message)s")
        self.lang = lang

    def format(self, record: logging.LogRecord) -> str:
        level = "warning" if record.levelno >= logging.WARNING else "info"
        return text(f"cli.log.{level}", self.lang, message=super().format(record))


def _setup_logging(verbose: bool, lang: str) -> None:
    handler = RichHandler(
        console=console,
        show_path=False,
        show_time=False,
        show_level=False,
        markup=False,
        highlighter=None,
        rich_tracebacks=False,
    )
    handler.setFormatter(_LevelFormatter(lang))
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, handlers=[handler], force=True
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``almere-gis`` command; returns the exit code (see the module)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    env = os.environ.get(ENV_LANG, "").strip()
    if env and env not in LANGUAGES:
        _say(text("cli.bad_env_lang", "nl", value=env), style="red")
        return 2
    asked = _language(args_list)
    lang = asked or "nl"
    try:
        args = build_parser(lang).parse_args(args_list)
    except SystemExit as exit_:  # --help, or a usage error already printed in lang
        return int(exit_.code or 0)
    args.lang_given = asked is not None
    _setup_logging(args.verbose, lang)
    return _guarded(args, lang, args_list)


if __name__ == "__main__":
    sys.exit(main())
