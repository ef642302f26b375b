"""Leaflet for a map that works without network, and the page's own CSS and JavaScript.

Leaflet comes from the ``XStatic-Leaflet`` package (a dependency of almere_gis: Leaflet's own
``dist`` files packaged for pip, at the version the page is written for), so a plain
``pip install almere-gis`` is enough. An npm install (``make assets``: ``build/web/node_modules``)
or another folder given in the options is tried next. The files are inlined into the page: its
script, and its stylesheet with the images as data URIs.

When none is found the page loads Leaflet from a CDN and says so, and :func:`leaflet` returns a
note with the fix for the run summary; a run that asks for a self-contained map fails instead.
"""

from __future__ import annotations

__all__ = ["LEAFLET_VERSION", "Leaflet", "leaflet", "page_file"]

import base64
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..._errors import InputError
from ...settings import PROJECT_ROOT

LEAFLET_VERSION = "1.9.3"
CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist"
NPM_DIR = PROJECT_ROOT / "build" / "web" / "node_modules" / "leaflet" / "dist"


@dataclass(frozen=True)
class Leaflet:
    """Leaflet as the page includes it: inline code, or the CDN addresses."""

    js: str  # the inline script, or "" when loaded from the CDN
    css: str
    origin: str  # where it came from, for the log: "xstatic", a folder, or "cdn"
    note: str = ""  # for the run summary when the map needs network

    @property
    def inline(self) -> bool:
        """True when the page works without network."""
        return bool(self.js)


def _xstatic_dir() -> Path | None:
    try:
        from xstatic.pkg import leaflet as xstatic_leaflet
    except ImportError:
        return None
    if getattr(xstatic_leaflet, "VERSION", "") != LEAFLET_VERSION:
        return None
    return Path(xstatic_leaflet.BASE_DIR)


def _npm_version(folder: Path) -> str | None:
    package = folder.parent / "package.json"
    if not package.is_file():
        return None
    return str(json.loads(package.read_text(encoding="utf-8")).get("version"))


def _candidates(assets_dir: Path | None) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    xstatic = _xstatic_dir()
    if xstatic is not None:
        found.append(("xstatic", xstatic))
    for folder in ([assets_dir / "leaflet" / "dist", assets_dir] if assets_dir else []) + [NPM_DIR]:
        if _npm_version(folder) in (LEAFLET_VERSION, None) and (folder / "leaflet.js").is_file():
            found.append((str(folder), folder))
    return found


def _inline(folder: Path) -> tuple[str, str]:
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js).replace("</script", "<\\/script")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = folder / match.group(1)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css).replace("</style", "<\\/style")
    return js, css


def leaflet(*, required: bool, assets_dir: Path | None, note: str, fix: str) -> Leaflet:
    """Leaflet inline from the first place that has it, else the CDN with ``note``.

    Raises
    ------
    InputError
        When ``required`` (a self-contained map) and no local Leaflet is found.
    """
    for origin, folder in _candidates(assets_dir):
        if (folder / "leaflet.css").is_file():
            js, css = _inline(folder)
            return Leaflet(js=js, css=css, origin=origin)
    if required:
        raise InputError(
            "Leaflet", "no local copy of Leaflet was found for a map without network", fix
        )
    return Leaflet(js="", css="", origin="cdn", note=note)


def page_file(name: str) -> str:
    """One of the page's own files (``page.html``, ``page.css``, ``page.js``)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
