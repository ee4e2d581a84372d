"""The committed pages in static_site/ are what devtools/site_templates/ renders (no build step at deploy)."""

import re

import pytest

from devtools import render_pages

pytestmark = pytest.mark.unit


def test_every_committed_page_matches_a_fresh_render():
    pages = render_pages.render_all()
    assert len(pages) == 6
    stale = sorted(str(path.relative_to(render_pages.ROOT)) for path, text in pages.items() if path.read_text(encoding="utf-8") != text)
    assert stale == [], (
        "the pages in static_site/ are rendered from devtools/site_templates/: make the change in the template "
        "(not in the page), then run python -m devtools.render_pages and commit both"
    )


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


ADMIN = render_pages.SITE / "admin"
MAX_STYLESHEET_LINES = 400
# Class names the modules build from a value (badge-${kind}, view-nav-${item.name}): the prefix is what they contain.
BUILT_CLASS_PREFIXES = ("badge-", "view-nav-")


def test_every_admin_stylesheet_is_small_and_loaded_by_the_pages():
    sheets = sorted(path.name for path in ADMIN.glob("*.css"))
    sizes = {name: len((ADMIN / name).read_text(encoding="utf-8").splitlines()) for name in sheets}
    assert {name: lines for name, lines in sizes.items() if lines > MAX_STYLESHEET_LINES} == {}
    dashboard = (ADMIN / "index.html").read_text(encoding="utf-8")
    assert [name for name in sheets if f'href="/admin/{name}"' not in dashboard] == []


def test_every_class_the_admin_styles_name_is_used_by_a_module_or_page():
    used = "".join(path.read_text(encoding="utf-8") for path in [*ADMIN.glob("modules/*.js"), *ADMIN.glob("*.html")])
    unused = set()
    for sheet in ADMIN.glob("*.css"):
        rules = re.sub(r"\{[^{}]*\}", "{}", re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S))
        for name in set(re.findall(r"\.([a-zA-Z][\w-]*)", rules)):
            built = any(name.startswith(prefix) and prefix + "${" in used for prefix in BUILT_CLASS_PREFIXES)
            if not built and not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", used):
                unused.add(f"{sheet.name}: .{name}")
    assert sorted(unused) == []
