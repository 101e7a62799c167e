"""The site carries its own code when no SOURCE_URL says where it is published (gen/site/source.py)."""
from __future__ import annotations

import io
import subprocess
import tarfile

import pytest

from gen.site.context import SiteError
from gen.site.source import ARCHIVE, PREFIX, archive_bytes, sync_archive


def _names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getnames()


def test_the_archive_holds_the_code_without_models_or_photos() -> None:
    data = archive_bytes()
    names = _names(data)
    assert f"{PREFIX}/gen/site/render.py" in names and f"{PREFIX}/README.md" in names
    assert f"{PREFIX}/tests/test_site_build.py" in names and f"{PREFIX}/package-lock.json" in names
    assert not [n for n in names if n.startswith((f"{PREFIX}/models/", f"{PREFIX}/site_src/samples/"))]
    assert len(names) == len(set(names)) and names == sorted(names)
    assert data == archive_bytes(), "the same files give the same bytes"


def test_the_archive_follows_source_url(tmp_path) -> None:
    sync_archive(tmp_path, "")
    assert (tmp_path / ARCHIVE).is_file()
    written = (tmp_path / ARCHIVE).stat().st_mtime_ns
    sync_archive(tmp_path, "")
    assert (tmp_path / ARCHIVE).stat().st_mtime_ns == written, "unchanged code is not rewritten"
    sync_archive(tmp_path, "https://example.org/code")
    assert not (tmp_path / ARCHIVE).exists()


def test_without_git_the_build_says_to_set_source_url(tmp_path) -> None:
    with pytest.raises(SiteError, match="SOURCE_URL"):
        archive_bytes(tmp_path)


def test_an_untracked_file_is_not_shipped(tmp_path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "kept.py").write_text("x = 1\n")
    (tmp_path / "stray.txt").write_text("not added\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "weights.bin").write_bytes(b"\0")
    subprocess.run(["git", "-C", str(tmp_path), "add", "kept.py", "models/weights.bin"], check=True)
    assert _names(archive_bytes(tmp_path)) == [f"{PREFIX}/kept.py"]
