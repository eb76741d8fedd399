"""`flashgen export COURSE --to html`: the study site's files, escaping, offline assets, the
approved-only default and the whole-folder swap. The browser tests are in test_site_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

from export_samples import COURSE, LECTURES

from flashgen.export import ExportFormat, export_course
from flashgen.output.review_actions import Selection, apply
from flashgen.output.store import OutputStore


def _site(output_dir: Path) -> Path:
    return output_dir / COURSE / "exports" / f"{COURSE}-site"


def test_site_has_an_index_and_a_page_per_lecture(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, ExportFormat.HTML)
    site = _site(output_dir)
    assert result.path == site
    assert (result.lectures, result.cards, result.questions) == (3, 6, 36)
    index = (site / "index.html").read_text(encoding="utf-8")
    pages = re.findall(r'href="(lecture-\d+\.html)"', index)
    assert len(pages) == 3 and all((site / page).is_file() for page in pages)
    # natural order of lecture ids, as every exporter lists them
    assert [index.index(lec) for lec in ("lec_1", "lec_2", "lec_10")] == sorted(
        index.index(lec) for lec in ("lec_1", "lec_2", "lec_10")
    )
    assert {"lec_1", "lec_2", "lec_10"} == set(LECTURES)


def test_text_is_escaped_and_math_left_for_katex(output_dir: Path) -> None:
    export_course(output_dir, COURSE, ExportFormat.HTML)
    page = (_site(output_dir) / "lecture-001.html").read_text(encoding="utf-8")
    assert "Forgetting &lt;b&gt;edge&lt;/b&gt; cases &amp; ties." in page
    assert "<b>edge</b>" not in page
    assert r"\(x^2\)" in page  # $x^2$ becomes the delimiters KaTeX's auto-render looks for
    assert "Databases cost $5 and $10 to run." in page  # prices are not math
    # every facet of the card is there, on its back
    for label in ("Analogy", "Explain like I&#39;m five", "Real-world use", "Common mistakes"):
        assert label in page or label.replace("&#39;", "'") in page


def test_nothing_is_fetched_from_a_network(output_dir: Path) -> None:
    export_course(output_dir, COURSE, ExportFormat.HTML)
    site = _site(output_dir)
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', text), path
        for ref in re.findall(r'(?:src|href)="([^"#]+)"', text):
            assert (path.parent / ref).is_file(), f"{path.name} links to missing {ref}"
    css = (site / "assets" / "katex" / "katex.min.css").read_text(encoding="utf-8")
    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))
    assert fonts and all((site / "assets" / "katex" / font).is_file() for font in fonts)
    assert "MIT License" in (site / "assets" / "katex" / "LICENSE").read_text(encoding="utf-8")


def test_once_an_item_is_approved_only_approved_items_are_shown(output_dir: Path) -> None:
    store = OutputStore(output_dir, COURSE)
    approved = f"{COURSE}-lec_1-c1"
    apply(store, list(LECTURES), Selection(ids=frozenset({approved, "lec_1-L1-mcq"})), "approve")
    result = export_course(output_dir, COURSE, ExportFormat.HTML)
    assert (result.lectures, result.cards, result.questions) == (1, 1, 1)
    assert any("approved items only" in w for w in result.warnings)
    page = (_site(output_dir) / "lecture-001.html").read_text(encoding="utf-8")
    assert f'id="{approved}"' in page and 'id="lec_1-L1-mcq"' in page
    assert "lec_1-L1-mca" not in page


def test_rejected_items_are_left_out(output_dir: Path) -> None:
    store = OutputStore(output_dir, COURSE)
    apply(store, list(LECTURES), Selection(ids=frozenset({"lec_2-L1-tf"})), "reject")
    export_course(output_dir, COURSE, ExportFormat.HTML)
    text = "".join(p.read_text(encoding="utf-8") for p in _site(output_dir).glob("*.html"))
    assert "lec_2-L1-tf" not in text and "lec_1-L1-tf" in text


def test_a_new_export_replaces_the_old_site_whole(output_dir: Path) -> None:
    export_course(output_dir, COURSE, ExportFormat.HTML)
    site = _site(output_dir)
    (site / "left-over.html").write_text("old", encoding="utf-8")
    export_course(output_dir, COURSE, ExportFormat.HTML)
    assert not (site / "left-over.html").exists() and (site / "index.html").is_file()
    assert [p.name for p in site.parent.iterdir()] == [site.name]  # no temporary folders left
