"""requirements.txt, the file Azure's remote build installs, is the hashed lock of requirements.in (devtools/lock.sh)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0]).lower()


def _direct() -> dict[str, str]:
    """requirements.in: name -> the exact version it asks for."""
    pins = {}
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.in pins exact versions: {line!r}"
            pins[_name(name)] = version.strip()
    return pins


def _locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.txt: name -> (version, hashes), one entry per requirement with its continuation lines."""
    text = (ROOT / "requirements.txt").read_text().replace("\\\n", " ")
    entries = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        assert not requirement.startswith("-"), f"requirements.txt has an option line: {line!r}"
        name, sep, version = requirement.partition("==")
        assert sep, f"requirements.txt pins exact versions: {requirement!r}"
        hashes = [option.removeprefix("--hash=") for option in options if option.startswith("--hash=sha256:")]
        assert len(hashes) == len(options), f"unexpected options for {requirement}: {options}"
        entries[_name(name)] = (version, hashes)
    return entries


def test_every_locked_requirement_is_pinned_with_hashes():
    locked = _locked()
    assert locked
    assert not [name for name, (_, hashes) in locked.items() if not hashes]


def test_lock_matches_requirements_in():
    locked = _locked()
    stale = {name: version for name, version in _direct().items() if locked.get(name, ("", []))[0] != version}
    assert not stale, f"requirements.txt is out of date with requirements.in for {stale}: run devtools/lock.sh"


def test_lock_says_how_it_was_made():
    assert "devtools/lock.sh" in (ROOT / "requirements.txt").read_text().splitlines()[1]


def test_dev_group_pins_exact_versions():
    group = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert group
    assert not [requirement for requirement in group if not re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][^ ;]*", requirement)]
