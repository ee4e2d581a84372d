"""The committed pages in static_site/ are what devtools/site_templates/ renders (no build step at deploy)."""

import pytest

from devtools import render_pages

pytestmark = pytest.mark.unit


def test_every_committed_page_matches_a_fresh_render():
    pages = render_pages.render_all()
    assert len(pages) == 6
    stale = sorted(str(path.relative_to(render_pages.ROOT)) for path, text in pages.items() if path.read_text(encoding="utf-8") != text)
    assert stale == [], "the templates changed: run python -m devtools.render_pages and commit the pages"


def test_each_page_has_the_shared_head_once():
    for path, text in render_pages.render_all().items():
        head = text.split("</head>")[0]
        assert head.count('<meta charset="utf-8">') == 1, path
        assert head.count('<link rel="icon" href="/favicon.svg" type="image/svg+xml">') == 1, path
        assert head.count('<link rel="stylesheet" href="/styles.css">') == 1, path
        assert "<title>" in head and "{{" not in text and "{%" not in text, path


def test_the_templates_are_not_deployed():
    assert render_pages.TEMPLATES.is_dir()
    assert render_pages.SITE not in render_pages.TEMPLATES.parents
