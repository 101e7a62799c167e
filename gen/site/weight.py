"""What the built site ships: which files some page uses, and which none does.

A file is *used* when a page reaches it: the HTML pages (and the sitemap and 404 page, which servers and
crawlers fetch) are the roots; any text file reached (HTML, CSS, JavaScript, JSON, XML, SVG) reaches
every file whose name appears in it as a token, e.g. `samples.json` lists the explorer's pictures and a
model's `model.json` its weight files. A page folder `02-data/index.html` is reached by the token
`02-data`. The rule is by name, not by resolved path, so it is generous (a file named in any used file
counts), but a file no used file names at all is caught: a figure no page shows, a data file only the
render step read, a library file nothing loads.
"""
from __future__ import annotations

import re
from pathlib import Path

TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt", ".webmanifest"}
ROOT_NAMES = {"sitemap.xml", "sitemap.xml.gz", "404.html"}
TOKEN = re.compile(r"[\w@%.+~-]+")


def _tokens(path: Path) -> set[str]:
    text = path.read_text(errors="replace")
    tokens = set(TOKEN.findall(text))
    return tokens | {token.rstrip(".") for token in tokens}


def _names(path: Path, site_dir: Path) -> set[str]:
    """The tokens that refer to `path`: its name; for a page folder's index.html, the folder's name too."""
    names = {path.name}
    if path.name == "index.html" and path.parent != site_dir:
        names.add(path.parent.name)
    return names


def used_files(site_dir: Path) -> set[Path]:
    """Every file some page reaches (see the module's rule)."""
    site_dir = Path(site_dir)
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    reached = {p for p in files if p.suffix == ".html" or p.name in ROOT_NAMES}
    queue = [p for p in reached if p.suffix in TEXT_SUFFIXES]
    waiting = {p: _names(p, site_dir) for p in files if p not in reached}
    while queue:
        tokens = _tokens(queue.pop())
        found = [p for p, names in waiting.items() if names & tokens]
        for path in found:
            del waiting[path]
            reached.add(path)
            if path.suffix in TEXT_SUFFIXES:
                queue.append(path)
    return reached


def unused_files(site_dir: Path) -> list[str]:
    """Files in the built site that no page reaches, relative to it, sorted."""
    site_dir = Path(site_dir)
    used = used_files(site_dir)
    return sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*") if p.is_file() and p not in used)


def site_bytes(site_dir: Path) -> int:
    return sum(p.stat().st_size for p in Path(site_dir).rglob("*") if p.is_file())
