"""Access tiers: a named set of libraries plus sharing permissions. Invites point at a tier by id,
so editing a tier changes what future invites share, never what past ones did."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.config.runtime_settings import RuntimeSettings
from shared.errors import DomainError
from shared.plex.gateway import SharingPermissions
from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.TIERS.name
DEFAULT_TIER_ID = "default"
MAX_NAME_LENGTH = 60


class TierError(DomainError):
    """A tier that doesn't exist, or a change a tier can't take."""


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    section_ids: tuple[int, ...]  # empty: every library (the default tier before a choice is made)
    permissions: SharingPermissions = field(default_factory=SharingPermissions)
    # For guests who sign in with Plex (their token is needed): turn on watch-state sync, opt out of online media.
    sync_watch_state: bool = False
    opt_out_online_media: bool = False

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TIER_ID


class TierStore:
    """Named tiers live in a table; the default tier is the library choice on the dashboard."""

    def __init__(self, table_provider: Callable[[], TableClient], runtime_settings: RuntimeSettings) -> None:
        self._table = table_provider
        self._runtime = runtime_settings

    def get(self, tier_id: str) -> Tier:
        if tier_id in ("", DEFAULT_TIER_ID):
            selection = self._runtime.library_selection()
            return Tier(DEFAULT_TIER_ID, "Default", selection.section_ids)
        try:
            return _tier_from(self._table().get_entity(PARTITION, tier_id))
        except ResourceNotFoundError:
            raise TierError("unknown_tier", "That tier doesn't exist any more. Choose another one.", field="tierId") from None

    def list(self) -> list[Tier]:
        named = [_tier_from(e) for e in self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})]
        return [self.get(DEFAULT_TIER_ID), *sorted(named, key=lambda tier: tier.name.lower())]

    def save(
        self,
        name: str,
        section_ids: Sequence[int],
        permissions: SharingPermissions,
        tier_id: str = "",
        *,
        sync_watch_state: bool = False,
        opt_out_online_media: bool = False,
    ) -> Tier:
        name = re.sub(r"\s+", " ", name).strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise TierError("invalid_tier_name", f"Give the tier a name of 1 to {MAX_NAME_LENGTH} characters.")
        if not section_ids:
            raise TierError("no_libraries_selected", "A tier needs at least one library.")
        if tier_id == DEFAULT_TIER_ID:
            raise TierError("default_tier_fixed", "The default tier shares what Settings → Shared libraries chooses; change that instead.")
        if tier_id:
            self.get(tier_id)  # must exist
        tier = Tier(
            tier_id or uuid.uuid4().hex[:12],
            name,
            tuple(dict.fromkeys(section_ids)),
            permissions,
            sync_watch_state=sync_watch_state,
            opt_out_online_media=opt_out_online_media,
        )
        self._table().upsert_entity(_ENTITY.to_entity(tier, partition=PARTITION), mode=UpdateMode.REPLACE)
        return tier

    def delete(self, tier_id: str) -> None:
        if tier_id == DEFAULT_TIER_ID:
            raise TierError("default_tier_fixed", "The default tier can't be deleted.")
        self._table().delete_entity(PARTITION, tier_id)


# Properties: Name, SectionIds (JSON text), and the permissions flat: AllowSync, AllowCameraUpload, AllowChannels.
_ENTITY = EntityMapper(Tier, row_key="id")


def _tier_from(entity: Mapping[str, object]) -> Tier:
    return _ENTITY.from_entity(entity)
