"""Dataclasses to Table entities and back, by one set of rules instead of a hand-written pair per store.

An `EntityMapper` is declared next to the dataclass it stores. Each field becomes one property:

- its name in PascalCase (`tier_id` → `TierId`), unless `names` says otherwise, so rows written
  before keep being read;
- `str`, `int`, `float` and `bool` as they are; `datetime` as an aware UTC date-time (read back
  aware even where Azurite answers with a naive one); an `Enum` as its value;
- `tuple`, `list` and `dict` as JSON text (a tuple of ints or strings is read back as one);
- a field that is itself a dataclass is stored flat: its fields are properties of the same entity;
- an optional field (`X | None`) is left out while None, and is None when the property is missing.

A property missing from a row is read as the field's entry in `missing`, else the field's default,
else None for an optional field, else the empty value of its type ("", 0, False, (), the epoch...).
The field named by `row_key` is the RowKey and the one named by `etag` is filled from the entity's
metadata; neither is a property, and neither are the fields in `skip` (read back as their default).
Azure's own properties (PartitionKey, RowKey, Timestamp) are never fields.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from shared.storage.values import utc_datetime

T = TypeVar("T")

_EPOCH = datetime.fromtimestamp(0, UTC)
_SCALARS: dict[type, Callable[[Any], Any]] = {str: str, int: int, float: float, bool: bool}
_EMPTY: dict[type, Any] = {str: "", int: 0, float: 0.0, bool: False, datetime: _EPOCH, tuple: (), list: [], dict: {}}


def pascal_case(field_name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    property: str
    kind: type  # str, int, float, bool, datetime, an Enum, tuple, list, dict, or a dataclass
    optional: bool
    item: type | None  # a tuple's or list's element type, when it is one of the scalars
    embedded: EntityMapper[Any] | None


class EntityMapper(Generic[T]):
    def __init__(
        self,
        cls: type[T],
        *,
        row_key: str | None = None,
        etag: str | None = None,
        names: Mapping[str, str] | None = None,
        missing: Mapping[str, object] | None = None,
        skip: Iterable[str] = (),
    ) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        self.cls = cls
        self.row_key = row_key
        self.etag = etag
        self._missing = dict(missing or {})
        self._defaults = {f.name: f for f in dataclasses.fields(cls)}
        names = dict(names or {})
        hints = typing.get_type_hints(cls)
        keys = {key for key in (row_key, etag) if key is not None}
        unknown = (set(names) | set(self._missing) | set(skip) | keys) - set(self._defaults)
        if unknown:
            raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
        not_stored = {row_key, etag, *skip}
        self._fields = [
            _describe(f.name, names.get(f.name, pascal_case(f.name)), hints[f.name])
            for f in dataclasses.fields(cls)
            if f.name not in not_stored
        ]

    def property_names(self) -> list[str]:
        """Every property this mapper writes (the optional ones only when set)."""
        names: list[str] = []
        for f in self._fields:
            names.extend(f.embedded.property_names() if f.embedded else [f.property])
        return names

    def properties(self, obj: T) -> dict[str, Any]:
        """The entity's properties, without PartitionKey and RowKey."""
        entity: dict[str, Any] = {}
        for f in self._fields:
            value = getattr(obj, f.name)
            if f.embedded is not None:
                entity.update(f.embedded.properties(value))
            elif value is not None:
                entity[f.property] = _to_property(f, value)
        return entity

    def to_entity(self, obj: T, *, partition: str, row_key: str | None = None) -> dict[str, Any]:
        """The whole entity; the RowKey is `row_key`, else the value of the row-key field."""
        if row_key is None:
            if self.row_key is None:
                raise TypeError(f"{self.cls.__name__} has no row-key field: pass row_key")
            row_key = str(getattr(obj, self.row_key))
        return {"PartitionKey": partition, "RowKey": row_key, **self.properties(obj)}

    def from_entity(self, entity: Mapping[str, Any]) -> T:
        values: dict[str, Any] = {}
        for f in self._fields:
            if f.embedded is not None:
                values[f.name] = f.embedded.from_entity(entity)
                continue
            value = _from_property(f, entity.get(f.property))
            values[f.name] = self._absent(f) if value is None else value
        if self.row_key is not None:
            values[self.row_key] = str(entity["RowKey"])
        if self.etag is not None:
            metadata = getattr(entity, "metadata", None) or {}
            if "etag" in metadata:
                values[self.etag] = str(metadata["etag"])
        return self.cls(**values)

    def _absent(self, f: _Field) -> Any:
        if f.name in self._missing:
            return self._missing[f.name]
        declared = self._defaults[f.name]
        if declared.default is not dataclasses.MISSING:
            return declared.default
        if declared.default_factory is not dataclasses.MISSING:
            return declared.default_factory()
        if f.optional:
            return None
        if f.kind in _EMPTY:
            return _EMPTY[f.kind]
        raise KeyError(f"{self.cls.__name__}.{f.name}: the row has no {f.property} and the field has no default")


def _describe(name: str, prop: str, hint: Any) -> _Field:
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"{name}: only `X | None` unions can be stored")
        hint, optional = members[0], True
    origin = typing.get_origin(hint) or hint
    item: type | None = None
    if origin in (tuple, list):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        item = args[0] if len(set(args)) == 1 and args[0] in _SCALARS else None
    elif not isinstance(origin, type) or not (
        origin in _SCALARS or origin in (datetime, dict) or issubclass(origin, Enum) or dataclasses.is_dataclass(origin)
    ):
        raise TypeError(f"{name}: can't store a {hint!r}")
    embedded = EntityMapper(origin) if isinstance(origin, type) and dataclasses.is_dataclass(origin) else None
    return _Field(name, prop, origin, optional, item, embedded)


def _to_property(f: _Field, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if f.kind is datetime:
        return value.astimezone(UTC) if value.tzinfo else value
    if f.kind in (tuple, list):
        return json.dumps(list(value))
    if f.kind is dict:
        return json.dumps(value)
    return value


def _from_property(f: _Field, raw: Any) -> Any:
    """The field's value, or None when the row has none."""
    if raw is None:
        return None
    if f.kind is datetime:
        return utc_datetime(raw)
    if issubclass(f.kind, Enum):
        return f.kind(raw)
    if f.kind in (tuple, list):
        items = json.loads(raw or "[]")
        if f.item is not None:
            items = [_SCALARS[f.item](i) for i in items]
        return f.kind(items)
    if f.kind is dict:
        return json.loads(raw or "{}")
    return _SCALARS[f.kind](raw)
