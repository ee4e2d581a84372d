"""The storage registry: no table, partition or fixed row is claimed twice, every module's partitions
and rows are registered under its name, and no module writes to a partition named by a literal."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from shared.storage import registry, tables
from shared.storage.registry import REGISTRY, DuplicateClaim, Registry

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py"), ROOT / "function_app.py"])
REGISTRY_FILE = ROOT / "shared" / "storage" / "registry.py"
CONSTANT_SUFFIXES = ("PARTITION", "ROW")


def test_claiming_anything_twice_is_refused():
    claims = Registry()
    table = claims.table("things", "test")
    owned = claims.partition(table, "thing", "test", owner="a")
    shared = claims.shared_partition(table, "settings", "test")
    claims.row(shared, "one", "test", owner="a")
    with pytest.raises(DuplicateClaim):
        claims.table("things", "again")
    with pytest.raises(DuplicateClaim):
        claims.partition(table, "thing", "again", owner="b")
    with pytest.raises(DuplicateClaim):
        claims.shared_partition(table, "thing", "again")
    with pytest.raises(DuplicateClaim):
        claims.partition(table, "settings", "again", owner="b")
    with pytest.raises(DuplicateClaim):
        claims.row(shared, "one", "again", owner="b")
    with pytest.raises(DuplicateClaim, match="belongs to a"):
        claims.row(owned, "two", "a row in someone's partition", owner="b")
    with pytest.raises(DuplicateClaim, match="isn't registered"):
        claims.partition(registry.TableSpec("elsewhere", ""), "thing", "test", owner="a")
    assert claims.owners_of("things", "settings") == {"a"}


def test_the_same_partition_name_in_two_tables_is_two_partitions():
    assert (registry.INVITE_LOG.name, registry.INVITE_COUNTERS.name) == ("invites", "invites")
    assert registry.INVITE_LOG.table != registry.INVITE_COUNTERS.table


def test_the_app_creates_every_registered_table():
    assert tuple(spec.name for spec in REGISTRY.tables()) == tables.ALL_TABLES
    assert len(set(tables.ALL_TABLES)) == len(tables.ALL_TABLES)


def test_each_owned_partition_is_its_owners_partition_constant():
    for spec in REGISTRY.partitions():
        if spec.owner is not None:
            assert spec.name == importlib.import_module(spec.owner).PARTITION, spec


def test_each_fixed_row_is_one_of_its_owners_constants():
    for row in REGISTRY.rows():
        module = importlib.import_module(row.owner)
        constants = {value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}
        assert row.key in constants, row
        assert row.partition.name == module.PARTITION, row


def test_every_module_partition_is_registered_to_that_module():
    for path in SOURCES:
        if "PARTITION =" not in path.read_text(encoding="utf-8") or path == REGISTRY_FILE:
            continue
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        partition = importlib.import_module(module_name).PARTITION
        owners = set().union(*(REGISTRY.owners_of(table, partition) for table in tables.ALL_TABLES))
        assert module_name in owners, f"{module_name} uses partition {partition!r} without registering it"


def literal_keys(source: str) -> list[str]:
    """Partition or row keys written as string literals rather than taken from the registry."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.endswith(CONSTANT_SUFFIXES):
                    found.append(f"{target.id} = {node.value.value!r}")
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in ("PartitionKey", "pk") and isinstance(value, ast.Constant):
                    found.append(f"{key.value}: {value.value!r}")
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "pk" and isinstance(keyword.value, ast.Constant):
                    found.append(f"pk={keyword.value.value!r}")
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if method in ("get_entity", "delete_entity") and node.args and isinstance(node.args[0], ast.Constant):
                found.append(f"{method}({node.args[0].value!r}, ...)")
    return found


def test_the_scan_finds_literal_partitions():
    source = """
PARTITION = "mine"
ROW = "mine"
def f(table):
    table.create_entity({"PartitionKey": "mine", "RowKey": "x"})
    table.query_entities("PartitionKey eq @pk", parameters={"pk": "mine"})
    table.get_entity("mine", "x")
    query(table, "...", pk="mine")
"""
    assert len(literal_keys(source)) == 6
    assert literal_keys('PARTITION = registry.GRANTS.name\nentity = {"PartitionKey": PARTITION}') == []


def test_no_module_names_a_partition_or_row_with_a_literal():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in SOURCES
        if path != REGISTRY_FILE and (found := literal_keys(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "take partitions and fixed rows from shared.storage.registry"
