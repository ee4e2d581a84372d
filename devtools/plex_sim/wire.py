"""What goes over the wire: requests as the routes see them, replies, XML/JSON rendering and plex.tv's error bodies.

Format negotiation, as plex.tv does it:
- The v2 endpoints (``/api/v2/...``) answer XML unless the request's Accept header includes
  ``application/json``. Source: /work/shared/reference/plex-api.md, "Format negotiation (correction)";
  plexapi 4.18 reads ``/api/v2/user`` and ``/api/v2/resources`` as XML without sending Accept
  (myplex.py ``MyPlexAccount._loadData``/``resources``) and sends ``Accept: application/json`` itself
  where it wants JSON (myplex.py ``viewStateSync``, ``searchDiscover``); Wizarr sends it for
  ``owned/accepted`` and ``POST /api/v2/shared_servers/{id}`` (app/services/media/plex.py, plex_custom.py),
  while Agregarr and Hubarr send ``Accept: application/xml`` to the same endpoint and read XML.
- The v1 endpoints (``/api/servers/...``, ``/api/users``) answer XML only (plex-api.md "Responses plexapi
  needs"; plexapi parses them as XML). Assumption: they ignore Accept.
- How plex.tv weighs q-values or ``*/*`` is not documented: "includes application/json" is the rule here
  (assumption); requests' default ``Accept: */*`` therefore gets XML, as plexapi relies on.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

XML = "application/xml"
JSON = "application/json"
HTML = "text/html"

# Wrapper tag -> item tag, for lists rendered as XML (<connections><connection/></connections>).
ITEM_TAGS = {
    "connections": "connection",  # plexapi MyPlexResource: findItems(data, ResourceConnection, rtag='connections')
    "libraries": "library",  # assumption: no XML sample of a v2 share's libraries was found
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lowercased names
    body: bytes = b""

    @property
    def wants_json(self) -> bool:
        return JSON in self.headers.get("accept", "").lower()

    @property
    def token(self) -> str:
        return self.headers.get("x-plex-token") or (self.query.get("X-Plex-Token") or [""])[0]


@dataclass
class Reply:
    status: int
    body: str = ""
    content_type: str = XML
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, **self.headers}


class PlexError(Exception):
    """Raised by a route to answer an error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


# -- XML ------------------------------------------------------------------------


def xml_document(element: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")


def element(tag: str, attrs: Mapping[str, object], *children: ET.Element) -> ET.Element:
    node = ET.Element(tag, {k: xml_attr(v) for k, v in attrs.items()})
    node.extend(children)
    return node


def xml_attr(value: object) -> str:
    # Booleans as 1/0: plexapi's utils.cast(bool) takes only 0/1/true/false (plex-api.md).
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def to_element(tag: str, data: Mapping[str, Any]) -> ET.Element:
    """A JSON-shaped object as plex.tv writes it in XML: scalars as attributes, objects as child elements,
    lists as a wrapper element holding one element per item (see ITEM_TAGS)."""
    attrs = {k: v for k, v in data.items() if not isinstance(v, (Mapping, list))}
    node = element(tag, attrs)
    for key, value in data.items():
        if isinstance(value, Mapping):
            node.append(to_element(key, value))
        elif isinstance(value, list):
            node.append(list_element(key, ITEM_TAGS.get(key, key.rstrip("s")), value))
    return node


def list_element(tag: str, item_tag: str, items: Sequence[Mapping[str, Any]], attrs: Mapping[str, object] | None = None) -> ET.Element:
    node = element(tag, attrs or {})
    node.extend(to_element(item_tag, item) for item in items)
    return node


def xml_reply(status: int, node: ET.Element) -> Reply:
    return Reply(status, xml_document(node), XML)


def _json(data: object) -> str:
    # Compact, as plex.tv writes it (the error body quoted in ThioJoe/Plex-Show-Subtitles-On-Rewind#7).
    return json.dumps(data, separators=(",", ":"))


# -- negotiated (v2) -------------------------------------------------------------------


def negotiated(request: Request, status: int, tag: str, data: Mapping[str, Any]) -> Reply:
    """One object: JSON when asked for, else the same object as an XML element named `tag`."""
    if request.wants_json:
        return Reply(status, _json(data), JSON)
    return xml_reply(status, to_element(tag, data))


def negotiated_list(request: Request, status: int, tag: str, item_tag: str, items: Sequence[Mapping[str, Any]]) -> Reply:
    """A list: a JSON array when asked for, else <tag size=".."><item_tag/>...</tag>."""
    if request.wants_json:
        return Reply(status, _json(list(items)), JSON)
    return xml_reply(status, list_element(tag, item_tag, items, {"size": len(items)}))


def empty(status: int = 204) -> Reply:
    # Assumption: plex.tv's v2 DELETEs answer without a body; plexapi accepts 204 with an empty body (plex-api.md).
    return Reply(status, "", XML)


# -- errors ----------------------------------------------------------------------------------

# plex.tv's v2 error codes. 1001: plex-api.md and ThioJoe/Plex-Show-Subtitles-On-Rewind#7 (a JSON answer of
# /api/v2/resources). 1002: python-plexapi#1504 ("404 Not Found error with code 1002 (The requested resource or
# endpoint could not be found)" from /api/v2/shared_servers).
UNAUTHENTICATED = (1001, "User could not be authenticated")
NOT_FOUND = (1002, "The requested resource or endpoint could not be found")
# Assumption: the code plex.tv gives a malformed or invalid v2 request is not documented; 1000 stands in for it.
BAD_REQUEST = 1000


def v2_error(request: Request, status: int, code: int, message: str) -> PlexError:
    """plex.tv's v2 error body: <errors><error code message/></errors> (plex-api.md, 401 row), or as JSON
    {"errors":[{"code","message","status"}]} when JSON was asked (ThioJoe/Plex-Show-Subtitles-On-Rewind#7:
    `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`)."""
    if request.wants_json:
        return PlexError(Reply(status, _json({"errors": [{"code": code, "message": message, "status": status}]}), JSON))
    return PlexError(xml_reply(status, element("errors", {}, element("error", {"code": code, "message": message}))))


def v1_error(status: int, message: str) -> PlexError:
    """plex.tv's v1 error body: <Response code="NNN" status="..."/> (plex-api.md "already shared" row;
    python-plexapi#1435 and #1536 quote `<Response code="410" status="This endpoint was deprecated and removed"/>`)."""
    return PlexError(xml_reply(status, element("Response", {"code": status, "status": message})))


def v1_unauthorized() -> PlexError:
    # plex-api.md: a bad owner token gets 401 <errors><error code="1001" .../></errors>; it names no other body
    # for the v1 endpoints, so they answer the same XML (assumption), whatever Accept says.
    return PlexError(xml_reply(401, element("errors", {}, element("error", {"code": UNAUTHENTICATED[0], "message": UNAUTHENTICATED[1]}))))


def pms_unauthorized() -> PlexError:
    # A Plex Media Server's own 401 page, as quoted in plexapi tracebacks (RickDB/PlexAniSync#196,
    # luigi311/JellyPlex-Watched#308); plexapi's PlexServer.query raises Unauthorized on the status alone.
    return PlexError(Reply(401, "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>", HTML))


def html_page(status: int, text: str) -> Reply:
    return Reply(status, f"<html><body><h1>{text}</h1></body></html>", HTML)
