"""Migration 0006 keeps the names of deleted indexes from reuse, including those deleted before."""

from __future__ import annotations

from sqlalchemy import Engine, insert, inspect, select

from packhouse.db.tables import AuditRow, IndexRow, RetiredIndexNameRow
from tests.migrations.steps import downgrade, upgrade


def _history(engine: Engine) -> None:
    """At 0005: ``gone`` deleted twice, ``back`` deleted and made again, ``kept`` never deleted."""
    with engine.begin() as connection:
        for name in ("back", "kept"):
            row = {"name": name, "kind": "hosted", "private": False, "version": 0}
            connection.execute(insert(IndexRow), row)
        for name in ("gone", "gone", "back"):
            entry = {"actor": "alice", "action": "index.delete", "index_name": name, "target": name}
            connection.execute(insert(AuditRow), entry)
        upload = {"actor": "bob", "action": "upload", "index_name": "kept", "target": "x.whl"}
        connection.execute(insert(AuditRow), upload)


def test_upgrade_retires_the_names_of_indexes_deleted_before(engine: Engine) -> None:
    upgrade(engine, "0005")
    _history(engine)
    upgrade(engine, "0006")
    with engine.connect() as connection:
        names = connection.scalars(select(RetiredIndexNameRow.name)).all()
        at = connection.scalar(select(RetiredIndexNameRow.retired_at))
    assert names == ["gone"]
    assert at is not None


def test_downgrade_drops_the_table(engine: Engine) -> None:
    upgrade(engine, "0006")
    downgrade(engine, "0005")
    assert "retired_index_names" not in inspect(engine).get_table_names()
    upgrade(engine, "0006")
    assert "retired_index_names" in inspect(engine).get_table_names()
