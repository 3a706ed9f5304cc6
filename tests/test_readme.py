"""The README's links stay inside the repository and its anchors name real sections."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def links() -> list[str]:
    return LINK.findall(README.read_text(encoding="utf-8"))


def test_relative_links_point_at_files_in_the_repository() -> None:
    relative = [t for t in links() if not t.startswith(("http://", "https://", "#"))]
    assert relative
    for target in relative:
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT.resolve()), f"{target} leaves the repository"
        assert path.exists(), f"{target} does not exist"


def test_anchors_name_sections() -> None:
    text = README.read_text(encoding="utf-8")
    headings = {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
    anchors = [t[1:] for t in links() if t.startswith("#")]
    assert anchors
    for anchor in anchors:
        assert anchor in headings, anchor


def test_the_slug_rule() -> None:
    assert slug("Live reload: `--watch`") == "live-reload---watch"
    assert slug("Limits and guarantees") == "limits-and-guarantees"
