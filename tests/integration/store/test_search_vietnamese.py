"""Vietnamese search on both stores: no case, no diacritics, NFC, units by code or name.

Every test here runs on SQLite and on PostgreSQL (the ``db`` fixture), with the same
expected results: the two stores answer alike.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from gateway.directory.directory import Directory
from gateway.pipeline.states import RULES
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.records import SearchFilters
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

PROVINCE, XIN_CAI, DONG_VAN = "000.00.00.H02", "000.01.01.H02", "000.01.02.H02"
SUBJECTS = (
    "Kế hoạch năm 2027",
    "KẾ HOẠCH phòng chống lũ",
    "Báo cáo tháng 11 (100%)",
    "Đề án đường giao thông",
    unicodedata.normalize("NFD", "Tờ trình về kế hoạch tuyển dụng"),
)


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


@pytest.fixture
async def seeded(db: Database) -> tuple[MessageStore, list[str]]:
    """Three units; five messages, oldest first, the last one submitted in NFD."""
    directory = Directory(db)
    await directory.add(PROVINCE, "UBND tỉnh Hà Giang")
    await directory.add(XIN_CAI, nfd("UBND xã Xín Cái"), PROVINCE)
    await directory.add(DONG_VAN, "UBND xã Đồng Văn", PROVINCE)
    store = MessageStore(db, rules=RULES)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    ids = []
    for i, subject in enumerate(SUBJECTS):
        to = (XIN_CAI,) if i % 2 == 0 else (DONG_VAN,)
        v = make_envelope(PROVINCE, to, subject=subject, created=base + timedelta(minutes=i))
        await store.accept(v, list(to), PROVINCE)
        ids.append(str(v.envelope.message_id))
    return store, ids


async def hits(store: MessageStore, **filters: Any) -> list[str]:
    return [m.id for m in (await store.search(SearchFilters(**filters))).items]


async def test_subject_search_ignores_case_and_diacritics(
    seeded: tuple[MessageStore, list[str]],
) -> None:
    """`ke hoach`, `KẾ HOẠCH` and an NFD `kế hoạch` find every plan, newest first."""
    store, ids = seeded
    plans = [ids[4], ids[1], ids[0]]
    assert await hits(store, text="ke hoach") == plans
    assert await hits(store, text="KẾ HOẠCH") == plans
    assert await hits(store, text=nfd("kế hoạch")) == plans
    assert await hits(store, text="  Ke   Hoạch ") == plans


async def test_d_with_stroke_folds_to_d(seeded: tuple[MessageStore, list[str]]) -> None:
    """Vietnamese đ/Đ is searched as d: `de an duong` and `ĐƯỜNG` find the Đề án."""
    store, ids = seeded
    assert await hits(store, text="de an duong") == [ids[3]]
    assert await hits(store, text="ĐƯỜNG") == [ids[3]]


async def test_like_wildcards_are_literal(seeded: tuple[MessageStore, list[str]]) -> None:
    """`%` and `_` in a query are characters, not wildcards."""
    store, ids = seeded
    assert await hits(store, text="(100%)") == [ids[2]]
    assert await hits(store, text="_") == []
    assert await hits(store, text="%") == [ids[2]]


async def test_nfd_subject_is_stored_nfc(seeded: tuple[MessageStore, list[str]]) -> None:
    """A subject submitted decomposed comes back precomposed and is found by NFC text."""
    store, ids = seeded
    page = await store.search(SearchFilters(text="Tờ trình"))
    assert [m.id for m in page.items] == [ids[4]]
    assert page.items[0].subject == unicodedata.normalize("NFC", SUBJECTS[4])


async def test_message_id_is_still_a_query(seeded: tuple[MessageStore, list[str]]) -> None:
    """The text box also takes a message id."""
    store, ids = seeded
    assert await hits(store, text=ids[2]) == [ids[2]]


async def test_unit_by_name_without_diacritics(seeded: tuple[MessageStore, list[str]]) -> None:
    """`Xín Cái`, `xin cai` and its code (any case) find the unit's messages."""
    store, ids = seeded
    mine = [ids[4], ids[2], ids[0]]
    assert await hits(store, unit="Xín Cái") == mine
    assert await hits(store, unit="XIN CAI") == mine
    assert await hits(store, unit=XIN_CAI.lower()) == mine
    page = await store.search(SearchFilters(unit="xín cái"))
    assert page.units == ((XIN_CAI, "UBND xã Xín Cái"),) and page.hint is None


async def test_unit_name_part_matches_several(seeded: tuple[MessageStore, list[str]]) -> None:
    """A name part shared by units finds the messages of each (here: every commune)."""
    store, ids = seeded
    page = await store.search(SearchFilters(unit="xa"))
    assert [c for c, _ in page.units] == [XIN_CAI, DONG_VAN]
    assert [m.id for m in page.items] == ids[::-1]


async def test_unknown_unit_gives_a_hint(seeded: tuple[MessageStore, list[str]]) -> None:
    """A name that matches no unit gives no messages and a hint; so does an unknown code."""
    store, _ = seeded
    page = await store.search(SearchFilters(unit="Lũng Cú"))
    assert page.items == () and page.units == ()
    assert page.hint and "'Lũng Cú'" in page.hint
    by_code = await store.search(SearchFilters(unit="000.09.09.H09"))
    assert by_code.items == () and by_code.hint
    assert by_code.to_json()["units"] == [{"code": "000.09.09.H09", "name": None}]


async def test_unit_and_text_combine(seeded: tuple[MessageStore, list[str]]) -> None:
    """Unit and text filters apply together."""
    store, ids = seeded
    assert await hits(store, unit="dong van", text="ke hoach") == [ids[1]]


async def test_upgrade_fills_the_keys_of_existing_rows(db_url: str) -> None:
    """Migration 0003 folds the subjects and unit names already stored (NFD ones too)."""
    database = Database(db_url)
    try:
        await database.upgrade("0002")
        now = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
        async with database.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO units (code, name, created_at) VALUES (:c, :n, :at)"),
                {"c": XIN_CAI, "n": nfd("UBND xã Xín Cái"), "at": datetime.fromisoformat(now)},
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (id, sender, subject, kind, created_at,"
                    " envelope_digest, envelope_xml, submitted_by, accepted_at)"
                    " VALUES ('m1', :u, :s, 'new', :at, 'd', :x, :u, :at)"
                ),
                {"u": XIN_CAI, "s": nfd("KẾ HOẠCH số 1"), "x": b"<x/>",
                 "at": datetime.fromisoformat(now)},
            )  # fmt: skip
        await database.upgrade()
        store = MessageStore(database, rules=RULES)
        page = await store.search(SearchFilters(text="ke hoach", unit="xin cai"))
        assert [m.id for m in page.items] == ["m1"]
        assert page.items[0].subject == "KẾ HOẠCH số 1"
    finally:
        await database.dispose()


async def test_a_renamed_unit_is_found_by_its_new_name(
    db: Database, seeded: tuple[MessageStore, list[str]]
) -> None:
    """Any name written through the ORM keeps its search key in step (NFC, folded)."""
    from gateway.store.models import UnitRow

    store, ids = seeded
    async with db.session(write=True) as session:
        row = await session.get(UnitRow, DONG_VAN)
        assert row is not None
        row.name = nfd("UBND xã Sủng Là")
    assert await hits(store, unit="sung la") == [ids[3], ids[1]]
    assert await hits(store, unit="dong van") == []
    page = await store.search(SearchFilters(unit="Sủng Là"))
    assert page.units == ((DONG_VAN, "UBND xã Sủng Là"),)


async def test_without_pg_trgm_the_migration_falls_back(pg_url: str) -> None:
    """A database user who may not create pg_trgm still migrates (a prefix btree on the
    subject key), and search finds the same messages."""
    import secrets

    import asyncpg

    role = f"lt_noext_{secrets.token_hex(4)}"
    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
        database = Database(pg_url.replace("//postgres@", f"//{role}@", 1))
        try:
            await database.upgrade()
            store = MessageStore(database, rules=RULES)
            v = make_envelope(PROVINCE, (XIN_CAI,), subject="KẾ HOẠCH số 7")
            await store.accept(v, [XIN_CAI], PROVINCE)
            assert await hits(store, text="ke hoach so 7") == [str(v.envelope.message_id)]
        finally:
            await database.dispose()
        indexdef = await admin.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_subject_key'"
        )
        assert "text_pattern_ops" in indexdef
        assert (
            await admin.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 0
        )
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
