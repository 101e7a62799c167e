"""The site's own source code as a download, for a site published without SOURCE_URL.

The references page links the code; when the build is not told where the code is published (SOURCE_URL),
the site carries it: `source.tar.gz`, every file git tracks except the committed models and measurements
(`models/`, which the site publishes in its own form) and the sample photos (`site_src/samples/`: UTKFace
faces, shown on the pages but not redistributed). The archive is byte-identical for identical files (sorted
names, fixed dates and owners), so an unchanged checkout does not make the site rebuild.
"""
from __future__ import annotations

import gzip
import io
import subprocess
import tarfile
from pathlib import Path

from gen.config import ROOT
from gen.site.context import SiteError

ARCHIVE = "source.tar.gz"
LEFT_OUT = ("models/", "site_src/samples/")
PREFIX = "what-the-model-sees"


def tracked_files(root: Path = ROOT) -> list[str]:
    """The files git tracks under `root`, less LEFT_OUT, sorted."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise SiteError(f"{root} is not a git checkout ({error}), so the site cannot carry its source: set "
                        "SOURCE_URL to where the code is published") from None
    names = [name for name in listed.decode().split("\0") if name and not name.startswith(LEFT_OUT)]
    return sorted(name for name in names if (Path(root) / name).is_file())


def archive_bytes(root: Path = ROOT) -> bytes:
    """A deterministic tar.gz of tracked_files(root), under one top folder."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in tracked_files(root):
            path = Path(root) / name
            info = tarfile.TarInfo(f"{PREFIX}/{name}")
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o755 if path.stat().st_mode & 0o111 else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sync_archive(docs_dir: Path, source_url: str, root: Path = ROOT) -> None:
    """docs_dir/source.tar.gz when the code has no published address; none when it has one. Written only when
    its bytes change."""
    target = Path(docs_dir) / ARCHIVE
    if source_url:
        target.unlink(missing_ok=True)
        return
    data = archive_bytes(root)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
