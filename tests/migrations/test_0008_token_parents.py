"""Migration 0008 records which token made a token (``tokens.parent_id``), so revoking a token
revokes the ones made through it; existing tokens have none; SQLite keeps its ids from reuse."""

from __future__ import annotations

from sqlalchemy import Engine, delete, insert, inspect, select, text

from packhouse.db.tables import TokenRow, UserRow
from tests.migrations.steps import downgrade, upgrade


def _token(engine: Engine, user_id: int, secret: str, **extra: object) -> int:
    with engine.begin() as connection:
        row = {"user_id": user_id, "role": 1, "name": "", "secret_sha256": secret * 64, **extra}
        made: int = connection.execute(insert(TokenRow).returning(TokenRow.id), row).scalar_one()
    return made


def _parents(engine: Engine) -> dict[int, int | None]:
    with engine.connect() as connection:
        rows = connection.execute(select(TokenRow.id, TokenRow.parent_id)).all()
    return {token_id: parent for token_id, parent in rows}


def test_upgrade_adds_parents_and_deleting_a_parent_leaves_its_children(engine: Engine) -> None:
    upgrade(engine, "0007")
    with engine.begin() as connection:
        user = connection.execute(
            insert(UserRow).returning(UserRow.id), {"name": "alice", "is_admin": False}
        ).scalar_one()
    old = _token(engine, user, "a")  # before 0008: made by no token that we know of

    upgrade(engine, "0008")
    child = _token(engine, user, "b", parent_id=old)

    assert _parents(engine) == {old: None, child: old}
    assert "parent_id" in {i["column_names"][0] for i in inspect(engine).get_indexes("tokens")}
    with engine.begin() as connection:
        connection.execute(delete(TokenRow).where(TokenRow.id == child))
    again = _token(engine, user, "c", parent_id=old)
    assert again > child  # ids are never reused, on SQLite too (AUTOINCREMENT survives the rebuild)
    with engine.begin() as connection:
        connection.execute(delete(TokenRow).where(TokenRow.id == old))
    assert _parents(engine) == {again: None}


def test_downgrade_drops_the_column_and_keeps_the_tokens(engine: Engine) -> None:
    upgrade(engine, "0007")
    with engine.begin() as connection:
        user = connection.execute(
            insert(UserRow).returning(UserRow.id), {"name": "bob", "is_admin": False}
        ).scalar_one()
    upgrade(engine, "0008")
    parent = _token(engine, user, "d")
    _token(engine, user, "e", parent_id=parent)

    downgrade(engine, "0007")

    assert "parent_id" not in {c["name"] for c in inspect(engine).get_columns("tokens")}
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM tokens")) == 2
    upgrade(engine, "0008")
    assert set(_parents(engine).values()) == {None}
