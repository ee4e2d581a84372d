"""The admin app's generated and vendored files are up to date, and its modules stay small."""

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs node

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ROOT / "static_site" / "admin"
NODE_MODULES = ROOT / "devtools" / "node_modules"
MAX_MODULE_LINES = 400


def test_the_api_types_match_the_openapi_spec(tmp_path):
    fresh = tmp_path / "api.d.ts"
    subprocess.run(["bash", str(ROOT / "devtools" / "gen_api_types.sh"), str(fresh)], check=True, timeout=120)
    committed = (ADMIN / "types" / "api.d.ts").read_text()
    assert committed == fresh.read_text(), "functions/openapi.json changed: run devtools/gen_api_types.sh and commit the result"


def test_the_vendored_view_library_is_the_installed_package(tmp_path):
    source = (NODE_MODULES / "lit-html" / "lit-html.js").read_text()
    vendored = (ADMIN / "vendor" / "lit-html.js").read_text()
    assert source.split("//# sourceMappingURL=")[0] in vendored, "lit-html changed: run node devtools/vendor.mjs and commit the result"


def test_every_admin_module_is_small():
    sizes = {path.name: len(path.read_text().splitlines()) for path in (ADMIN / "modules").glob("*.js")}
    assert sizes
    assert {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES} == {}
