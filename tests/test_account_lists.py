"""An account's sub-lists are pages: newest first, `first` rows at a time, each row carrying the
sealed cursor that continues its own list, for its own caller and account only (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from tests.client import GatewayClient, error_codes

ALICE = "acct-alice"
#: Newer than any demo row: the demo's rows stay below these.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def _rows(collection: str, key: str, time: str, **more: Any) -> list[dict[str, Any]]:
    """Six rows of alice's, `r0` newest; `r3a` and `r3b` share one millisecond."""
    minutes = {"r0": 0, "r1": 1, "r2": 2, "r3a": 3, "r3b": 3, "r4": 4}
    return [
        {"_id": f"{collection}-{name}", key: ALICE, time: T0 - timedelta(minutes=m), **more}
        for name, m in minutes.items()
    ]


#: Each sub-list: its collection, owner key, time field, a field of every row that names it.
LISTS = {
    "devices": (c.DEVICES, "account", "first_seen_at", "id"),
    "signIns": (c.SIGN_INS, "account", "at", "userAgent"),
    "notifications": (c.NOTIFICATIONS, "account", "created_at", "id"),
    "consents": (c.CONSENTS, "subject", "granted_at", "id"),
    "disclosures": (c.DISCLOSURES, "subjects", "at", "id"),
    "supportCases": (c.SUPPORT_CASES, "subject", "opened_at", "id"),
}
#: Newest first; within one millisecond, the higher id first.
ORDER = ["r0", "r1", "r2", "r3b", "r3a", "r4"]


def _operation(doc_id: str, at: datetime, *entries: tuple[str, list[str]]) -> dict[str, Any]:
    """One operation's stored disclosure records: (subject, fields) entries, in order."""
    subjects = list(dict.fromkeys(subject for subject, _ in entries))
    return {
        "_id": doc_id,
        "principal_kind": "partner",
        "principal_id": "flowershop",
        "at": at,
        "subjects": subjects,
        "entries": [
            [{"relation": "PARTNER", "fields": f} for s, f in entries if s == subject]
            for subject in subjects
        ],
    }


async def _give_alice(db: AsyncDatabase[Any], collection: str, key: str, time: str) -> None:
    await db[collection].delete_many({key: ALICE})
    rows = _rows(collection, key, time)
    for row in rows:
        row["user_agent"] = row["_id"]  # sign-ins have no id: their agent names them
    if collection == c.DISCLOSURES:  # one operation each, of one record about alice
        rows = [_operation(row["_id"], row[time], (ALICE, [])) for row in rows]
    await db[collection].insert_many(rows)


async def _page(
    gateway: GatewayClient,
    field: str,
    name: str,
    first: int | None,
    after: str | None,
    as_: str = "alice",
    root: str = "me",
) -> dict[str, Any]:
    query = f"""query($first: Int, $after: String) {{
      {root} {{ {field}(first: $first, after: $after) {{ {name} cursor }} }} }}"""
    return await gateway.query(query, {"first": first, "after": after}, as_=as_)


@pytest.mark.parametrize("field", LISTS)
async def test_a_sub_list_pages_every_row_once_newest_first(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], field: str
) -> None:
    collection, key, time, name = LISTS[field]
    await _give_alice(demo_db, collection, key, time)
    seen: list[str] = []
    after = None
    for expected in ([ORDER[0], ORDER[1]], [ORDER[2], ORDER[3]], [ORDER[4], ORDER[5]], []):
        body = await _page(gateway, field, name, 2, after)
        assert "errors" not in body, body
        rows = body["data"]["me"][field]
        assert [row[name].rsplit("-", 1)[1] for row in rows] == expected
        seen += [row[name] for row in rows]
        if rows:
            after = rows[-1]["cursor"]
    assert len(seen) == len(set(seen)) == 6


async def test_a_sub_list_is_bounded_by_default_and_refuses_a_size_out_of_bounds(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db[c.DISCLOSURES].delete_many({"subjects": ALICE})
    await demo_db[c.DISCLOSURES].insert_many(
        [_operation(f"d{n:02d}", T0 - timedelta(seconds=n), (ALICE, [])) for n in range(25)]
    )
    body = await gateway.query("{ me { disclosures { id } } }", as_="alice")
    assert [row["id"] for row in body["data"]["me"]["disclosures"]] == [
        f"d{n:02d}" for n in range(20)
    ]
    for first in (-1, 101):
        body = await _page(gateway, "disclosures", "id", first, None)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == "first"


async def test_a_cursor_opens_only_its_own_list_of_its_own_account_for_its_caller(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for collection, key, time, _ in LISTS.values():
        await _give_alice(demo_db, collection, key, time)
    await demo_db[c.SUPPORT_CASES].update_many(
        {"subject": ALICE}, {"$set": {"status": "OPEN", "purpose": "support"}}
    )
    await demo_db[c.SUPPORT_CASES].update_many(
        {"subject": ALICE}, {"$set": {"processor": "helpdesk-co"}}
    )
    await demo_db[c.SUPPORT_CASES].insert_one(
        {
            "_id": "case-bob",
            "subject": "acct-bob",
            "purpose": "support",
            "status": "OPEN",
            "processor": "helpdesk-co",
            "opened_at": T0,
            "messages": [],
        }
    )
    alices = (await _page(gateway, "signIns", "at", 2, None))["data"]["me"]["signIns"]
    cursor = alices[-1]["cursor"]
    malformed = await _page(gateway, "signIns", "at", 2, "not-a-cursor")
    assert error_codes(malformed) == ["BAD_USER_INPUT"]
    refusal = malformed["errors"][0]
    assert refusal["extensions"]["field"] == "after"

    def refused_alike(body: dict[str, Any]) -> None:
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"] == refusal["message"]
        assert body["errors"][0]["extensions"] == refusal["extensions"]

    # Another list of the same account and caller.
    refused_alike(await _page(gateway, "notifications", "id", 2, cursor))
    # Another caller (and account): bob's own sign-ins.
    refused_alike(await _page(gateway, "signIns", "at", 2, cursor, as_="bob"))
    # Another account, same caller and list: the processor's cursor of alice's cases on bob's.
    cases = await _page(
        gateway, "supportCases", "id", 1, None, as_="helpdesk-co", root='account(id: "acct-alice")'
    )
    assert "errors" not in cases, cases
    case_cursor = cases["data"]["account"]["supportCases"][0]["cursor"]
    refused_alike(
        await _page(
            gateway,
            "supportCases",
            "id",
            1,
            case_cursor,
            as_="helpdesk-co",
            root='account(id: "acct-bob")',
        )
    )
    # And it still pages on where it belongs.
    body = await _page(gateway, "signIns", "userAgent", 2, cursor)
    assert [row["userAgent"] for row in body["data"]["me"]["signIns"]] == [
        f"{c.SIGN_INS}-r2",
        f"{c.SIGN_INS}-r3b",
    ]


async def test_rows_the_caller_may_not_see_take_no_place_in_a_page(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """A processor sees alice's open support cases assigned to it: the others (closed, of
    another purpose, waiting, newer than all of them) neither show nor shorten its pages."""
    await demo_db[c.SUPPORT_CASES].delete_many({"subject": ALICE})
    mine = {"purpose": "support", "status": "OPEN", "processor": "helpdesk-co", "messages": []}
    others = [
        {**mine, "status": "CLOSED"},
        {**mine, "purpose": "billing"},
        {**mine, "processor": None},
        {**mine, "processor": "other-co"},
    ]
    await demo_db[c.SUPPORT_CASES].insert_many(
        [
            *(
                {
                    "_id": f"hidden-{n}-{k}",
                    "subject": ALICE,
                    "opened_at": T0 - timedelta(hours=n),
                    **o,
                }
                for n in range(3)
                for k, o in enumerate(others)
            ),
            *(
                {
                    "_id": f"case-{n}",
                    "subject": ALICE,
                    "opened_at": T0 - timedelta(days=1, hours=n),
                    **mine,
                }
                for n in range(3)
            ),
        ]
    )
    root = 'account(id: "acct-alice")'
    first = await _page(gateway, "supportCases", "id", 2, None, as_="helpdesk-co", root=root)
    rows = first["data"]["account"]["supportCases"]
    assert [row["id"] for row in rows] == ["case-0", "case-1"]
    second = await _page(
        gateway, "supportCases", "id", 2, rows[-1]["cursor"], as_="helpdesk-co", root=root
    )
    assert [row["id"] for row in second["data"]["account"]["supportCases"]] == ["case-2"]
    own = await _page(gateway, "supportCases", "id", 20, None)
    assert len(own["data"]["me"]["supportCases"]) == 15


async def test_disclosures_page_one_row_per_record_about_the_owner_across_operations(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """An operation's document holds the records of several subjects, and may hold several
    about alice (one per relation and purpose): each of hers is one row, and only hers."""
    await demo_db[c.DISCLOSURES].delete_many({})
    bob, carol = "acct-bob", "acct-carol"
    same_milli = T0 - timedelta(minutes=2)
    await demo_db[c.DISCLOSURES].insert_many(
        [
            _operation("op-a", T0, (bob, ["b"]), (ALICE, ["a0"]), (ALICE, ["a1"])),
            _operation("op-b", T0 - timedelta(minutes=1), (ALICE, ["b0"]), (carol, ["c"])),
            _operation("op-c", same_milli, (ALICE, ["c0"]), (bob, ["b"]), *[(ALICE, ["c1"])] * 2),
            _operation("op-d", same_milli, (carol, ["c"])),
            _operation("op-e", T0 - timedelta(minutes=3), (bob, ["b"]), (ALICE, ["e0"])),
        ]
    )
    newest_first = [
        ("op-a:1", ["a1"]),
        ("op-a:0", ["a0"]),
        ("op-b", ["b0"]),
        ("op-c:2", ["c1"]),
        ("op-c:1", ["c1"]),
        ("op-c:0", ["c0"]),
        ("op-e", ["e0"]),
    ]
    for first in (1, 2, 3, 20):
        seen: list[tuple[str, list[str]]] = []
        after = None
        while True:
            body = await _page(gateway, "disclosures", "id fields", first, after)
            assert "errors" not in body, body
            rows = body["data"]["me"]["disclosures"]
            seen += [(row["id"], row["fields"]) for row in rows]
            if len(rows) < first:
                break
            after = rows[-1]["cursor"]
        assert seen == newest_first, first
