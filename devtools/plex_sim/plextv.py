"""plex.tv's endpoints, as far as Helpr and plexapi 4.18 use them.

Each route says which format family it belongs to: "v2" negotiates XML/JSON on the Accept header, "v1" is XML
only (see wire.py). The handlers run with the state lock held.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from devtools.plex_sim.signin import user_object
from devtools.plex_sim.state import Share, SimulatorState
from devtools.plex_sim.wire import (
    BAD_REQUEST,
    NOT_FOUND,
    UNAUTHENTICATED,
    Reply,
    Request,
    element,
    empty,
    negotiated,
    negotiated_list,
    v1_error,
    v2_error,
    xml_reply,
)

ALREADY_SHARING = "You're already sharing this server with {name}. Please edit your existing share."
GONE = "This endpoint was deprecated and removed"  # python-plexapi#1435, #1536; Yoruio/Membarr#53


class PlexTv:
    def __init__(self, state: SimulatorState, base_url: Callable[[], str], pms_prefix: str) -> None:
        self.state = state
        self._base_url = base_url
        self._pms_prefix = pms_prefix

    # -- v2, negotiated ------------------------------------------------------------

    def user(self, request: Request) -> Reply:
        # The owner's account for the owner token, a signed-in guest's for theirs (plex-api.md "Guest sign-in", step 3).
        account = self.state.account_for_token(request.token)
        if account is None:
            raise v2_error(request, 401, *UNAUTHENTICATED)
        return negotiated(request, 200, "user", user_object(self.state, account, request.token))

    def resources(self, request: Request) -> Reply:
        # <resources><resource ...><connections><connection/></connections></resource></resources>: plex-api.md and
        # plexapi myplex.py MyPlexResource._loadData / ResourceConnection._loadData. Assumption: the JSON form is an
        # array of the same resource objects with "connections" as an array.
        base = self._base_url()
        host = urlsplit(base)
        connection = {
            "protocol": host.scheme,
            "address": host.hostname,
            "port": host.port or 80,
            "uri": base + self._pms_prefix,
            "local": False,
            "relay": False,
            "IPv6": False,
        }
        server = {
            "name": self.state.server_name,
            "product": "Plex Media Server",
            "productVersion": "1.41.0.0000",
            "platform": "Linux",
            "clientIdentifier": self.state.machine_id,
            "provides": "server",
            "owned": True,
            "accessToken": self.state.server_token,
            "publicAddress": host.hostname,
            "httpsRequired": False,
            "synced": False,
            "relay": True,
            "dnsRebindingProtection": False,
            "natLoopbackSupported": False,
            "publicAddressMatches": True,
            "presence": True,
            "home": False,
            "connections": [connection],
        }
        player = {
            "name": "Living Room TV",
            "product": "Plex for Android (TV)",
            "clientIdentifier": "tv-client-1",
            "provides": "client,player",
            "owned": True,
            "connections": [],
        }
        return negotiated_list(request, 200, "resources", "resource", [server, player])

    def owned_shares(self, request: Request, which: str) -> Reply:
        # GET clients.plex.tv/api/v2/shared_servers/owned/{pending|accepted} (plex-api.md).
        # XML: <sharedServers><sharedServer id name invitedId invitedEmail acceptedAt machineIdentifier numLibraries
        #   allLibraries ...><invited id uuid title username email ...><sharingSettings .../></invited>
        #   <sharingSettings .../></sharedServer></sharedServers>, as read by Agregarr
        #   (server/lib/collections/plex/PlexUserManager.ts, interfaces V2SharedServer/V2InvitedUser) and Hubarr
        #   (src/server/integrations/plex.ts, getSharedUsers).
        # JSON: an array of the same objects, read by Wizarr (app/services/media/plex.py, _get_share_data: "id",
        #   "machineIdentifier", "invitedId", "invited" {email, username}, "invitedEmail", "libraries" [{id, title}]).
        shares = [s for s in self.state.shares.values() if s.pending == (which == "pending")]
        return negotiated_list(request, 200, "sharedServers", "sharedServer", [self._share_object(s) for s in shares])

    def update_shared_server(self, request: Request, sid: str) -> Reply:
        # POST clients.plex.tv/api/v2/shared_servers/{id} with {"settings": {...}, "librarySectionIds": [...]}
        # (plex-api.md; Wizarr app/services/media/plex_custom.py update_shared_server). Wizarr only logs the answer:
        # assumption, it is the updated share in the list's shape.
        share = self.state.shares.get(int(sid))
        if share is None:
            raise v2_error(request, 404, *NOT_FOUND)
        try:
            payload = json.loads(request.body or b"{}")
            section_ids = [int(i) for i in payload.get("librarySectionIds", share.section_ids)]
            settings = payload.get("settings", {})
            allow_sync = bool(settings.get("allowSync", share.allow_sync))
            allow_camera_upload = bool(settings.get("allowCameraUpload", share.allow_camera_upload))
            allow_channels = bool(settings.get("allowChannels", share.allow_channels))
        except (ValueError, TypeError, AttributeError):
            raise v2_error(request, 400, BAD_REQUEST, "Bad request") from None
        if any(i not in self.state.section_ids() for i in section_ids):
            raise v2_error(request, 400, BAD_REQUEST, "Invalid library section id")
        share.section_ids = section_ids
        share.allow_sync, share.allow_camera_upload, share.allow_channels = allow_sync, allow_camera_upload, allow_channels
        return negotiated(request, 200, "sharedServer", self._share_object(share))

    def delete_shared_server(self, request: Request, sid: str) -> Reply:
        # DELETE clients.plex.tv/api/v2/shared_servers/{id}: ends a pending or accepted share (what Helpr's
        # remove_share sends). Assumption: 204 without a body; an unknown id is v2's 404 (code 1002).
        if self.state.shares.pop(int(sid), None) is None:
            raise v2_error(request, 404, *NOT_FOUND)
        return empty()

    def delete_sharing(self, request: Request, uid: str) -> Reply:
        # DELETE plex.tv/api/v2/sharings/{userId}: plexapi myplex.py removeFriend (FRIENDUPDATE). plexapi ignores the
        # body; assumption: 204 without one.
        removed = [sid for sid, share in self.state.shares.items() if share.user_id == int(uid)]
        if not removed:
            raise v2_error(request, 404, *NOT_FOUND)
        for sid in removed:
            del self.state.shares[sid]
        return empty()

    def _share_object(self, share: Share) -> dict[str, Any]:
        state = self.state
        settings = {
            "allowSync": share.allow_sync,
            "allowCameraUpload": share.allow_camera_upload,
            "allowChannels": share.allow_channels,
            "filterAll": "",
            "filterMovies": "",
            "filterMusic": "",
            "filterPhotos": "",
            "filterTelevision": "",
        }
        # Who was invited: an account once it exists, else only the address (assumption: plex.tv's "invited"
        # object for an email-only invite carries just the email).
        # "thumb": the avatar URL Agregarr (V2InvitedUser.thumb) and Hubarr (getSharedUsers) read; the URL's form
        # is an assumption.
        invited: dict[str, Any] = (
            {
                "id": share.user_id,
                "title": share.title or share.username,
                "username": share.username,
                "email": share.invited_email,
                "thumb": f"https://plex.tv/users/{share.user_id}/avatar",
            }
            if share.user_id is not None
            else {"email": share.invited_email}
        )
        invited["sharingSettings"] = settings
        return {
            "id": share.id,
            "name": state.server_name,
            "ownerId": state.owner.id,
            "invitedId": share.user_id,
            "invitedEmail": share.invited_email,
            "serverId": 9001,
            "machineIdentifier": state.machine_id,
            "accepted": not share.pending,
            "acceptedAt": share.accepted_at,
            "invitedAt": share.invited_at,  # assumption: not in any sample read, kept for the demo
            "deletedAt": None,
            "leftAt": None,
            "owned": False,
            "numLibraries": len(share.section_ids),
            "allLibraries": set(share.section_ids) == state.section_ids(),
            "invited": invited,
            "sharingSettings": settings,
            # Wizarr reads lib["id"] (the plex.tv-wide section id) and lib["title"]; the rest is assumption.
            "libraries": [
                {"id": s.id, "key": s.key, "title": s.title, "type": s.type} for s in state.sections if s.id in share.section_ids
            ],
        }

    # -- v1, XML only ------------------------------------------------------------------

    def _require_server(self, mid: str) -> None:
        if mid != self.state.machine_id:
            raise v1_error(404, "Server not found")  # plex-api.md: server not on the account -> 404

    def server_sections(self, request: Request, mid: str) -> Reply:
        # <MediaContainer><Server><Section id key type title/></Server></MediaContainer>: plex-api.md; plexapi
        # myplex.py _getSectionIds reads data[0]'s children.
        self._require_server(mid)
        sections = [element("Section", {"id": s.id, "key": s.key, "type": s.type, "title": s.title}) for s in self.state.sections]
        server = element("Server", {"name": self.state.server_name, "machineIdentifier": mid}, *sections)
        return xml_reply(200, element("MediaContainer", {"machineIdentifier": mid, "size": 1}, server))

    def create_share(self, request: Request, mid: str) -> Reply:
        # POST plex.tv/api/servers/{mid}/shared_servers, body as plexapi myplex.py inviteFriend sends it; the answer
        # and the error cases as plex-api.md lists them.
        self._require_server(mid)
        try:
            payload = json.loads(request.body or b"{}")
            shared = payload["shared_server"]
            invited = str(shared["invited_email"]).strip()
            section_ids = [int(i) for i in shared.get("library_section_ids", [])]
            settings = payload.get("sharing_settings", {})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise v1_error(400, "Bad request") from None
        state = self.state
        account = state.find_account(invited)
        if account is None and "@" not in invited:
            raise v1_error(400, f"Unable to find a Plex user named {invited}.")  # plex-api.md: unknown username -> 4xx
        if account is not None and not account.verified:
            # plex-api.md: brand-new accounts must verify their email before invites to them work.
            raise v1_error(400, f"The Plex user {account.username} has not verified their email address yet.")
        for share in state.shares.values():
            if (account and share.user_id == account.id) or share.invited_email.lower() == invited.lower():
                raise v1_error(400, ALREADY_SHARING.format(name=account.username if account else invited))
        if len(state.shares) >= state.share_limit:
            raise v1_error(422, "You have reached the maximum number of users you can share with.")  # plex-api.md
        known_ids = state.section_ids()
        if any(i not in known_ids for i in section_ids):
            raise v1_error(400, "Invalid library section id")
        share = Share(
            id=state.next_id(),
            invited_email=account.email if account else invited,
            user_id=account.id if account else None,
            username=account.username if account else "",
            section_ids=section_ids or sorted(known_ids),
            allow_sync=settings.get("allowSync") == "1",
            allow_camera_upload=settings.get("allowCameraUpload") == "1",
            allow_channels=settings.get("allowChannels") == "1",
            invited_at=int(time.time()),
        )
        state.shares[share.id] = share
        return xml_reply(201, element("MediaContainer", {"size": 1}, self._shared_server_element(share)))

    def _shared_server_element(self, share: Share) -> Any:
        # <SharedServer id username email userID invitedAt acceptedAt ...><Section .../></SharedServer>: plex-api.md;
        # plexapi myplex.py Section._loadData reads the Section children (findItems(..., rtag='SharedServer')).
        sections = [
            element("Section", {"id": s.id, "key": s.key, "title": s.title, "type": s.type, "shared": s.id in share.section_ids})
            for s in self.state.sections
        ]
        return element(
            "SharedServer",
            {
                "id": share.id,
                "username": share.username,
                "email": share.invited_email,
                "userID": share.user_id or "",
                "accessToken": "",
                "name": self.state.server_name,
                "machineIdentifier": self.state.machine_id,
                "acceptedAt": share.accepted_at or "",
                "invitedAt": share.invited_at,
                "allowSync": share.allow_sync,
                "allowCameraUpload": share.allow_camera_upload,
                "allowChannels": share.allow_channels,
                "owned": False,
            },
            *sections,
        )

    def users(self, request: Request) -> Reply:
        # <MediaContainer><User ...><Server .../></User></MediaContainer>: plex-api.md; plexapi myplex.py
        # MyPlexUser._loadData and MyPlexServerShare._loadData. The v1 list never shows invitees who have not
        # accepted (plex-api.md).
        users = []
        for share in self.state.shares.values():
            if share.pending or share.user_id is None:
                continue
            server = element(
                "Server",
                {
                    "id": share.id,
                    "serverId": 9001,
                    "machineIdentifier": self.state.machine_id,
                    "name": self.state.server_name,
                    "lastSeenAt": share.accepted_at,
                    "numLibraries": len(share.section_ids),
                    "allLibraries": len(share.section_ids) == len(self.state.sections),
                    "owned": False,
                    "pending": False,
                },
            )
            users.append(
                element(
                    "User",
                    {
                        "id": share.user_id,
                        "title": share.username,
                        "username": share.username,
                        "email": share.invited_email,
                        "thumb": "",
                        "home": False,
                        "allowSync": share.allow_sync,
                        "allowCameraUpload": share.allow_camera_upload,
                        "allowChannels": share.allow_channels,
                        "restricted": False,
                        "protected": False,
                        "filterAll": "",
                        "filterMovies": "",
                        "filterMusic": "",
                        "filterPhotos": "",
                        "filterTelevision": "",
                    },
                    server,
                )
            )
        return xml_reply(
            200,
            element("MediaContainer", {"friendlyName": "myPlex", "identifier": "com.plexapp.plugins.myplex", "size": len(users)}, *users),
        )

    def gone(self, request: Request) -> Reply:
        # /api/invites/requested (2024-07), /api/invites/requests (2025-07), /api/friends/{id} (2024-05): 410 with
        # this body (python-plexapi#1435, #1536; Yoruio/Membarr#53; plex-api.md).
        raise v1_error(410, GONE)
