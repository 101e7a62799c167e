"""No typos in what a reader reads: the rendered text of every page, through hunspell's en_GB dictionary
(the article is written in British English: colour, labelled, centre).

Code, formulas, scripts and styles are left out; names the dictionary cannot know (authors, libraries,
method names, the dataset) are in tests/spelling_allow.txt, which stays short: a new word there is a
decision, not a way around the check. Debian's `hunspell` and `hunspell-en-gb` (`make spell` installs them).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

ALLOW = Path(__file__).with_name("spelling_allow.txt")
LANGUAGE = "en_GB"
DICTIONARY = Path(f"/usr/share/hunspell/{LANGUAGE}.dic")
SKIPPED_TAGS = {"code", "pre", "script", "style", "mjx-container", "svg", "noscript"}
SKIPPED_CLASSES = {"arithmatex", "headerlink"}
VOID_TAGS = {"br", "img", "input", "hr", "meta", "link", "source", "wbr"}
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*[A-Za-zÀ-ÿ]|[A-Za-z]")
POSSESSIVE = re.compile(r"['’]s$")

pytestmark = pytest.mark.skipif(not shutil.which("hunspell") or not DICTIONARY.exists(),
                                reason="needs hunspell with the en_GB dictionary (`make spell` installs them)")


class ArticleText(HTMLParser):
    """The text inside <article>, without code, formulas, scripts and permalink signs."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside <article>
        self.skipping: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "article":
            self.depth += 1
        skipped = self.skipping or tag in SKIPPED_TAGS or classes & SKIPPED_CLASSES
        if skipped and tag not in VOID_TAGS:  # a void tag has no end tag to pop it
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        if tag == "article":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skipping:
            self.parts.append(data)


def article_text(html: str) -> str:
    parser = ArticleText()
    parser.feed(html)
    return " ".join(parser.parts)


def misspelled(text: str, allowed: set[str]) -> set[str]:
    """Unknown words of `text`; a token with a digit (99th, 64px) is a number, not a word."""
    words = set()
    for token in text.split():
        if any(c.isdigit() for c in token):
            continue
        for word in WORD.findall(token):
            word = POSSESSIVE.sub("", word.strip("'’-"))
            parts = [word] if word in allowed else word.split("-")
            # An allowed word may start a sentence: "heatmap" allows "Heatmap", not the other way round.
            words.update(p for p in parts if p and p not in allowed and p[0].lower() + p[1:] not in allowed)
    result = subprocess.run(["hunspell", "-d", LANGUAGE, "-l"], input="\n".join(sorted(words)), text=True,
                            capture_output=True, check=True)
    return set(result.stdout.split())


def allowed_words() -> set[str]:
    return {line.strip() for line in ALLOW.read_text().splitlines() if line.strip() and not line.startswith("#")}


def test_the_checker_catches_a_typo():
    assert misspelled("The modle looks at the face.", allowed_words()) == {"modle"}
    assert article_text("<article><p>A <code>race_fiar</code> map</p></article><p>outsde</p>").split() == ["A", "map"]


def test_rendered_pages_have_no_typos(built_site):
    allowed = allowed_words()
    found = {}
    for page in sorted(built_site.site_dir.rglob("index.html")):
        words = misspelled(article_text(page.read_text()), allowed)
        if words:
            found[str(page.relative_to(built_site.site_dir))] = sorted(words)
    assert found == {}, f"unknown words (fix them, or add a name to {ALLOW.name}): {found}"
