"""Entry point of the Plex simulator (`python -m devtools.plex_simulator`); the code lives in devtools/plex_sim/.

Kept as a module because tests, devtools/stack.py and the benchmark import the simulator from here.
"""

from __future__ import annotations

from devtools.plex_sim import (
    CONTROL_PREFIX,
    DEMO_MACHINE_ID,
    DEMO_OWNER_TOKEN,
    DEMO_SERVER_NAME,
    DEMO_SERVER_TOKEN,
    PMS_PREFIX,
    Account,
    Fault,
    PlexSimulator,
    Section,
    Share,
    SimulatorClient,
    SimulatorServer,
    SimulatorState,
    main,
)
from devtools.plex_sim.plextv import ALREADY_SHARING

__all__ = [
    "ALREADY_SHARING",
    "CONTROL_PREFIX",
    "DEMO_MACHINE_ID",
    "DEMO_OWNER_TOKEN",
    "DEMO_SERVER_NAME",
    "DEMO_SERVER_TOKEN",
    "PMS_PREFIX",
    "Account",
    "Fault",
    "PlexSimulator",
    "Section",
    "Share",
    "SimulatorClient",
    "SimulatorServer",
    "SimulatorState",
    "main",
]

if __name__ == "__main__":
    main()
