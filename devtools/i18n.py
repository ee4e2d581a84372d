"""Compiles the gettext catalogs in shared/i18n/locales: each messages.po to messages.mo (read by the app),
and its page strings to static_site/i18n/<locale>.json (read by the guest pages). Both outputs are
committed, so Azure's remote build needs no step of its own; tests/test_i18n.py fails when they are stale.

    .venv/bin/python -m devtools.i18n          # write them
    .venv/bin/python -m devtools.i18n --check  # exit 1 if any output differs from the catalogs
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from shared.i18n import CATALOG_DIR, LOCALE_NAMES, LOCALES, PAGE, catalog_name

STATIC_DIR = Path(__file__).resolve().parent.parent / "static_site" / "i18n"


def po_path(locale: str) -> Path:
    return CATALOG_DIR / catalog_name(locale) / "LC_MESSAGES" / "messages.po"


def outputs(locale: str) -> dict[Path, bytes]:
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=catalog_name(locale))
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    page = {str(m.id): str(m.string) for m in catalog if m.context == PAGE and m.id and m.string}
    document = {"locale": locale, "name": LOCALE_NAMES[locale], "dir": "ltr", "locales": LOCALE_NAMES, "text": dict(sorted(page.items()))}
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    return {po_path(locale).with_suffix(".mo"): mo.getvalue(), STATIC_DIR / f"{locale}.json": text.encode()}


def stale() -> list[Path]:
    return [path for locale in LOCALES for path, data in outputs(locale).items() if not path.exists() or path.read_bytes() != data]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        paths = stale()
        for path in paths:
            print(f"stale: {path} (run python -m devtools.i18n)")
        return 1 if paths else 0
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        for path, data in outputs(locale).items():
            path.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
