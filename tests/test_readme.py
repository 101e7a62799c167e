"""README.md is rendered from site_src/readme.md with the measured numbers, and is current."""
from __future__ import annotations

from gen.readme import README, render_readme


def test_readme_is_generated_from_the_committed_numbers() -> None:
    assert README.read_text() == render_readme(), "README.md is out of date: run `python -m gen readme`"
