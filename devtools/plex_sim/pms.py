"""The one Plex Media Server, mounted under /pms. Helpr never needs it to invite; plexapi's PlexServer reads it.

XML only: plexapi's PlexServer.query parses every answer as XML and never asks for JSON. (A real PMS also
answers JSON to Accept: application/json; nothing here relies on it, so it is not simulated.)
"""

from __future__ import annotations

from devtools.plex_sim.state import SimulatorState
from devtools.plex_sim.wire import Reply, Request, element, xml_reply

PMS_PREFIX = "/pms"


class MediaServer:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    def root(self, request: Request) -> Reply:
        # GET /: <MediaContainer friendlyName machineIdentifier version myPlex .../> (plex-api.md; plexapi server.py
        # PlexServer._loadData).
        return xml_reply(
            200,
            element(
                "MediaContainer",
                {
                    "size": 0,
                    "friendlyName": self.state.server_name,
                    "machineIdentifier": self.state.machine_id,
                    "myPlex": True,
                    "myPlexUsername": self.state.owner.email,
                    "version": "1.41.0.0000",
                    "platform": "Linux",
                    "allowSharing": True,
                },
            ),
        )

    def library(self, request: Request) -> Reply:
        # GET /library: plexapi library.py Library._loadData (plex-api.md: server.library reads it first).
        return xml_reply(200, element("MediaContainer", {"size": 0, "title1": "Plex Library", "identifier": "com.plexapp.plugins.library"}))

    def sections(self, request: Request) -> Reply:
        # GET /library/sections: <Directory key type title uuid><Location id path/></Directory> (plex-api.md; plexapi
        # library.py LibrarySection._loadData).
        directories = [
            element(
                "Directory",
                {
                    "key": s.key,
                    "type": s.type,
                    "title": s.title,
                    "uuid": f"sim-section-{s.key}",
                    "agent": "tv.plex.agents.none",
                    "scanner": "Plex",
                    "language": "en-US",
                },
                element("Location", {"id": s.key, "path": f"/data/{s.title.lower().replace(' ', '-')}"}),
            )
            for s in self.state.sections
        ]
        return xml_reply(200, element("MediaContainer", {"size": len(directories), "title1": "Plex Library"}, *directories))
