"""A stateful stand-in for plex.tv and one Plex Media Server, answering in the formats plex.tv and plexapi 4.18 use.

It is the test double and the demo backend:
    state.py    the owner, server, sections, accounts, shares, faults and counts
    wire.py     requests and replies, XML/JSON format negotiation, plex.tv's error bodies
    plextv.py   plex.tv's routes (v2: XML unless Accept asks for JSON; v1: XML)
    signin.py   guest sign-in: PINs, the stand-in for the app.plex.tv auth page (GET /auth, where a demo guest
                signs in as a demo account and is sent to forwardUrl), and the guest token's calls (user, accept
                a share, watch-state sync, online media opt-outs, sign out)
    pms.py      the Plex Media Server's routes, under /pms
    control.py  the /__sim/ control API and SimulatorClient
    server.py   routing, latency and fault injection, token checks, the HTTP server and main()

Beside the Plex endpoints it has a control API under /__sim/ to inspect state, read per-endpoint request counts,
and inject latency and faults:

    GET  /__sim/state            owner, server, sections, accounts, shares, faults, counts
    GET  /__sim/counts           requests served per endpoint, plus plex.tv and PMS totals
    POST /__sim/counts/reset
    POST /__sim/reset            back to the demo state
    POST /__sim/latency          {"seconds": 0.1} added to every Plex request
    POST /__sim/faults           {"method": "POST", "path": "/api/servers/*/shared_servers", "status": 429,
                                  "retryAfter": "5", "times": 1, "delaySeconds": 0, "body": null}
                                 status null = only delay; times 0 = until cleared;
                                 "afterProcessing": true carries the request out, then answers the fault
    DELETE /__sim/faults
    POST /__sim/accounts         {"username", "email", "verified"}: a Plex account that can be invited
    POST /__sim/owner            {"token": "...", "shareLimit": 100}: rotate/expire the token, change the limit
    POST /__sim/shares/{id}/accept
    POST /__sim/shares           {"username" | "email", "sectionIds", "pending", "title", "invitedAt"}: a share the
                                 owner made before Helpr, in Plex's own apps (every library and accepted by default)
    POST /__sim/shares/{id}      {"sectionIds", "invitedAt"}: the share changed in Plex's own apps
    DELETE /__sim/shares/{id}    the share ended in Plex's own apps (by the owner or the friend)
    POST /__sim/pins/expire      every PIN expires now (the guest took too long on the auth page)

Faults of the sign-in flow: an expired PIN (/__sim/pins/expire), a sign-in abandoned (the auth page's "Go back
without signing in" link), accept refused (a fault on POST /api/v2/shared_servers/*/accept), and 410 Gone on the
removed PUT /api/invites/requests/{id} (plexapi's acceptInvite).
"""

from devtools.plex_sim.control import CONTROL_PREFIX, SimulatorClient
from devtools.plex_sim.pms import PMS_PREFIX
from devtools.plex_sim.server import PlexSimulator, SimulatorServer, main
from devtools.plex_sim.state import (
    DEMO_MACHINE_ID,
    DEMO_OWNER_TOKEN,
    DEMO_SERVER_NAME,
    DEMO_SERVER_TOKEN,
    Account,
    Fault,
    Section,
    Share,
    SimulatorState,
)

__all__ = [
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
