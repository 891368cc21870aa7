"""Every relative link in README.md and docs/*.md points to an existing file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")


def relative_links(md: Path) -> list[str]:
    """The link targets of ``md`` outside code blocks, without URLs and in-page anchors."""
    text = re.sub(r"```.*?```", "", md.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_every_relative_link_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{md.relative_to(ROOT)}: {t}" for md in pages for t in relative_links(md) if not (md.parent / t.split("#")[0]).exists()
    ]
    assert not broken, broken
    assert "docs/MODEL.md" in relative_links(ROOT / "README.md")  # the specification travels with the docs


def test_the_checker_sees_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[a](missing.md) [b](https://x.org) [c](#here)\n```\n[d](code.md)\n```\n")
    assert relative_links(page) == ["missing.md"]
