"""Render the site's HTML pages from the Jinja2 templates in devtools/site_templates/.

The head (meta, favicon, styles, scripts), the guest card header and footer and the admin header are
written once there; each page template holds only what is its own. The rendered pages are committed in
static_site/, so the deploy needs no build step; tests/test_site_pages.py fails when they are stale.

    python -m devtools.render_pages          # write static_site/*.html and static_site/admin/*.html
    python -m devtools.render_pages --check  # exit 1 and name the pages that differ from a fresh render
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "site_templates"
SITE = ROOT / "static_site"


def environment() -> jinja2.Environment:
    # The templates and their values are ours (no user input), so nothing is escaped: a page's text is
    # written exactly as it stands in its template.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.Undefined,
    )


def page_templates() -> list[str]:
    """Every template that is a page (layouts and macros start with an underscore)."""
    return sorted(path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html") if not path.name.startswith("_"))


def render_all() -> dict[Path, str]:
    env = environment()
    return {SITE / name: env.get_template(name).render() for name in page_templates()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a page is stale")
    args = parser.parse_args(argv)
    pages = render_all()
    stale = [path for path, text in pages.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (edit its template in devtools/site_templates/, then render)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(pages[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
