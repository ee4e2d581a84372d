"""Entry point of the Plex simulator (`python -m devtools.plex_simulator`); the code lives in devtools/plex_sim/.

Kept as a module because tests, devtools/stack.py and the benchmark import the simulator from here:
it re-exports the package's public names.
"""

from __future__ import annotations

from devtools.plex_sim import *  # noqa: F403 - the package's __all__, re-exported as is
from devtools.plex_sim import __all__ as _package_all
from devtools.plex_sim import main
from devtools.plex_sim.plextv import ALREADY_SHARING

__all__ = [*_package_all, "ALREADY_SHARING"]

if __name__ == "__main__":
    main()
