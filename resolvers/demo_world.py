"""The demo world of SPEC §9: stable ids and usernames that docs, tests and `token --as` rely on.

Seeding upserts every document with `$setOnInsert`, so a second run changes nothing, and an
interrupted run is finished by the next one. Ids are derived from handles (`acct-alice`), so a
token for a demo principal can be issued without reading the database, even while `serve`
holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from authz.passwords import hash_password
from resolvers import collections as c
from resolvers.rollups import FIELDS, count_documents

log = logging.getLogger(__name__)

#: The one password of every named demo account (documented in the README).
DEMO_PASSWORD = "imoox-demo-password"

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
INTERESTS = ["gardening", "travel", "cycling", "cooking", "photography", "music", "chess"]
GENERATED_ACCOUNTS = 48
LEGAL_REQUEST_ID = "lr-police-graz-bob"


def account_id(username: str) -> str:
    return f"acct-{username}"


def _at(hours: int) -> datetime:
    return EPOCH + timedelta(hours=hours)


@cache
def _demo_password_hash() -> str:
    # One hash per process: argon2 is deliberately slow, and these accounts are a public demo.
    return hash_password(DEMO_PASSWORD)


def _account(
    username: str, display_name: str, domain: str | None, hours: int, **fields: Any
) -> dict[str, Any]:
    return {
        "_id": account_id(username),
        "username": username,
        "email": f"{username}@{domain + '.example' if domain else 'mail.example'}",
        "password_hash": _demo_password_hash(),
        "display_name": display_name,
        "photo_url": f"https://img.imoox.example/{username}.png",
        "domain": domain,
        "status": "ACTIVE",
        "rights_limits": {"edit": False, "delete": False, "privacy": False},
        "settings": {
            "language": "de",
            "personalized_ads": True,
            "friends_recommendations": True,
            "profile_visibility": "PUBLIC",
        },
        "stats": {"apps_installed": 3, "last_sign_in_at": _at(hours + 1)},
        "ad_interests": [],
        "created_at": _at(hours),
        **fields,
    }


def _named_accounts() -> list[dict[str, Any]]:
    alice = _account(
        "alice",
        "Alice Amsel",
        "uni-graz",
        0,
        phone="+43 316 380 0001",
        address={
            "street": "Universitätsplatz 3",
            "city": "Graz",
            "postal_code": "8010",
            "country": "AT",
        },
        billing={"holder": "Alice Amsel", "iban": "AT611904300234573201", "plan": "PREMIUM"},
        sensitive={
            "ethnicity": "prefer not to say",
            "religion": "none",
            "sexual_orientation": "prefer not to say",
            "health": "asthma",
        },
        ad_interests=["gardening", "travel", "cycling"],
    )
    return [
        alice,
        _account(
            "bob", "Bob Berger", "uni-graz", 1, phone="+43 316 380 0002", ad_interests=["chess"]
        ),
        _account("carol", "Carol Castell", "tu-wien", 2, ad_interests=["music"]),
        _account(
            "erin",
            "Erin Eder",
            None,
            3,
            settings={
                "language": "en",
                "personalized_ads": False,
                "friends_recommendations": False,
                "profile_visibility": "PRIVATE",
            },
        ),
        _account("dora", "Dora Dachs", "uni-graz", 4, admin_of=["uni-graz"]),
    ]


def _generated_accounts() -> Iterator[dict[str, Any]]:
    domains = ["uni-graz", "tu-wien", None]
    for n in range(1, GENERATED_ACCOUNTS + 1):
        username = f"learner{n:02d}"
        account = _account(
            username,
            f"Learner {n:02d}",
            domains[n % 3],
            10 + n,
            ad_interests=[INTERESTS[n % len(INTERESTS)], INTERESTS[(n * 3) % len(INTERESTS)]],
        )
        account["password_hash"] = None  # generated accounts cannot sign in
        account["settings"]["personalized_ads"] = n % 4 != 0
        account["settings"]["friends_recommendations"] = n % 5 != 0
        yield account


def _content() -> Iterator[dict[str, Any]]:
    alice, bob, carol = (account_id(name) for name in ("alice", "bob", "carol"))

    def item(
        item_id: str,
        owner: str,
        kind: str,
        visibility: str | None,
        hours: int,
        title: str | None,
        body: str,
        **fields: Any,
    ) -> dict[str, Any]:
        return {
            "_id": item_id,
            "owner": owner,
            "kind": kind,
            "visibility": visibility,
            "title": title,
            "body": body,
            "shared_with": [],
            "recipients": [],
            "parent": None,
            "created_at": _at(hours),
            **fields,
        }

    yield item(
        "post-alice-garden",
        alice,
        "POST",
        "PUBLIC",
        100,
        "Spring in the botanical garden",
        "The magnolias are out.",
    )
    yield item(
        "post-alice-cycling",
        alice,
        "POST",
        "PUBLIC",
        101,
        "Cycling the Mur",
        "Forty kilometres along the river.",
    )
    yield item(
        "photo-alice-schlossberg",
        alice,
        "PHOTO",
        "PUBLIC",
        102,
        "Schlossberg at dusk",
        "https://img.imoox.example/schlossberg.jpg",
    )
    yield item(
        "post-alice-shared",
        alice,
        "POST",
        "SHARED",
        103,
        "Notes for Bob",
        "Seminar notes, week 3.",
        shared_with=[bob],
    )
    yield item("post-alice-private", alice, "POST", "PRIVATE", 104, "Diary", "Only for me.")
    yield item(
        "email-alice-bob",
        alice,
        "EMAIL",
        "PRIVATE",
        105,
        "Lunch?",
        "Mensa at noon?",
        recipients=[bob],
    )
    yield item(
        "comment-bob-garden",
        bob,
        "COMMENT",
        None,
        106,
        None,
        "Lovely!",
        parent="post-alice-garden",
    )
    yield item(
        "comment-carol-garden",
        carol,
        "COMMENT",
        None,
        107,
        None,
        "Wish I were in Graz.",
        parent="post-alice-garden",
    )
    yield item("post-bob-chess", bob, "POST", "PUBLIC", 108, "Chess club", "Tuesdays, room 12.")
    yield item(
        "post-carol-vienna",
        carol,
        "POST",
        "PUBLIC",
        109,
        "Vienna study group",
        "Anyone for algorithms?",
    )
    for n in range(1, GENERATED_ACCOUNTS + 1):
        yield item(
            f"post-learner{n:02d}",
            account_id(f"learner{n:02d}"),
            "POST",
            "PUBLIC",
            200 + n,
            f"Learning log {n}",
            f"Day {n} of the course.",
        )


def _documents(now: datetime) -> dict[str, list[dict[str, Any]]]:
    alice, bob = account_id("alice"), account_id("bob")
    accounts = [*_named_accounts(), *_generated_accounts()]
    return {
        c.DOMAINS: [
            {"_id": "uni-graz", "name": "Universität Graz", "email_domain": "uni-graz.example"},
            {"_id": "tu-wien", "name": "TU Wien", "email_domain": "tu-wien.example"},
        ],
        c.ACCOUNTS: accounts,
        c.DEVICES: [
            {
                "_id": f"device-{account['username']}",
                "account": account["_id"],
                "device_id": f"demo-device-{account['username']}",
                "user_agent": "IMOOX demo",
                "first_seen_at": account["stats"]["last_sign_in_at"],
                "last_seen_at": account["stats"]["last_sign_in_at"],
            }
            for account in accounts
        ],
        c.SIGN_INS: [
            {
                "_id": f"sign-in-{account['username']}",
                "account": account["_id"],
                "at": account["stats"]["last_sign_in_at"],
                "device_id": f"demo-device-{account['username']}",
                "user_agent": "IMOOX demo",
                "ip": None,
                "suspicious": False,
            }
            for account in accounts
        ],
        c.PARTNERS: [
            {"_id": "flowershop", "name": "Flowershop Graz", "partner_type": "business"},
            {"_id": "adnet", "name": "AdNet", "partner_type": "advertiser"},
            {"_id": "trendlens", "name": "TrendLens", "partner_type": "publisher"},
        ],
        c.CONTENT: list(_content()),
        c.SUPPORT_CASES: [
            {
                "_id": "case-alice-login",
                "subject": alice,
                "purpose": "support",
                "processor": "helpdesk-co",
                "status": "OPEN",
                "opened_at": _at(120),
                "messages": [
                    {"author": alice, "at": _at(120), "text": "I cannot change my e-mail address."}
                ],
            },
        ],
        c.CONSENTS: [
            {
                "_id": "consent-alice-flowershop",
                "subject": alice,
                "recipient": "flowershop",
                "fields": ["phone"],
                "purpose": "contact",
                "explicit": False,
                "source": "ACTION",
                "granted_at": _at(130),
                "expires_at": None,
                "revoked_at": None,
            },
        ],
        c.LEGAL_REQUESTS: [
            {
                "_id": LEGAL_REQUEST_ID,
                "authority": "police-graz",
                "type": "LAW_ENFORCEMENT",
                "legal_basis": "§ 76a StPO, request 2026/4711",
                "subjects": [bob],
                "fields": ["email", "phone"],
                "status": "APPROVED",
                "registered_by": "cora",
                "registered_at": now,
                "expires_at": now + timedelta(days=365),
            },
        ],
    }


#: Claims (besides the registered ones) of every demo principal, by handle (SPEC §9).
DEMO_PRINCIPALS: dict[str, dict[str, Any]] = {
    **{
        name: {"kind": "user", "sub": account_id(name)}
        for name in ("alice", "bob", "carol", "erin")
    },
    "dora": {"kind": "domain_admin", "sub": account_id("dora"), "domains": ["uni-graz"]},
    "helpdesk-co": {"kind": "processor", "sub": "helpdesk-co", "purpose": "support"},
    "flowershop": {
        "kind": "partner",
        "sub": "flowershop",
        "partner_type": "business",
        "scope": "contacts:read",
    },
    "adnet": {"kind": "partner", "sub": "adnet", "partner_type": "advertiser", "scope": "ads:read"},
    "trendlens": {
        "kind": "partner",
        "sub": "trendlens",
        "partner_type": "publisher",
        "scope": "stats:read",
    },
    "police-graz": {"kind": "authority", "sub": "police-graz", "request": LEGAL_REQUEST_ID},
    "cora": {"kind": "compliance", "sub": "cora"},
}


async def seed_demo_world(db: AsyncDatabase[Any]) -> dict[str, int]:
    """Insert whatever part of the demo world is missing and count it (`resolvers.rollups`);
    returns inserts per collection."""
    inserted: dict[str, int] = {}
    for collection, documents in _documents(datetime.now(UTC)).items():
        result = await db[collection].bulk_write(
            [
                UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)
                for doc in documents
            ],
            ordered=False,
        )
        inserted[collection] = result.upserted_count
        if collection in FIELDS:
            # A crash before this leaves the collection larger than its total, which the
            # aggregates notice (`rollups.drifted`) and rebuild from.
            new = [documents[index] for index in result.upserted_ids or {}]
            await count_documents(db, collection, new, 1, None)
        log.info(
            "seeded",
            extra={
                "collection": collection,
                "inserted": result.upserted_count,
                "total": len(documents),
            },
        )
    return inserted
