"""The name guests know the server by: the owner's branding, then SERVER_DISPLAY_NAME, then the name plex.tv
gives the server, then PLEX_SERVER_NAME."""

from __future__ import annotations

from collections.abc import Callable

from shared.config.settings import Settings
from shared.guest.branding import BrandingStore
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway


class ServerNames:
    def __init__(self, *, branding: BrandingStore, settings: Settings, gateway: Callable[[], PlexGateway]) -> None:
        self._branding = branding
        self._settings = settings
        self._gateway = gateway

    def known(self, default: str = "Plex") -> str:
        """Without asking plex.tv: what the owner set, or what this instance last heard from plex.tv."""
        return self._set_by_owner() or self._gateway().state.server_name or self._settings.plex_server_name or default

    def warming_plex(self, default: str = "our Plex server") -> str:
        """For the invite page's first load, which also warms the Plex connection so the invite that follows is a
        warm one; but not while plex.tv rejects the token: page loads must not hammer it (the invite breaker's rule)."""
        chosen = self._set_by_owner()
        if chosen:
            return chosen
        gateway = self._gateway()
        gateway.ensure_configured()  # also notices a rotated token
        fallback = gateway.state.server_name or self._settings.plex_server_name or default
        if gateway.state.token_valid is False:
            return fallback
        try:
            return gateway.server_name()
        except PlexError:
            return fallback

    def _set_by_owner(self) -> str:
        return self._branding.for_guests().server_name or self._settings.server_display_name
