"""A realistic institution on top of the demo world, to measure cost against data size (issue 12).

`imoox-gateway seed --scale N` loads N generated accounts (most in `uni-graz` and `tu-wien`,
some in no domain) with what people leave behind: items of every kind and visibility created
over two years (some shared, e-mails with recipients), comments on public items, devices and
sign-ins (a new device raises the `SUSPICIOUS_SIGN_IN` notification and its mail), consents to
partners, support cases and disclosure records. Every document has the fields the gateway's
own write paths give it (sign-up, `createContent`, `signIn`, `contactBusiness`, ...), so
readers meet nothing they would not meet in production.

Deterministic: account n's documents depend only on n (a seeded RNG per account), never on N;
an account refers only to accounts before it and to the demo world. So levels nest: loading
100,000 after 20,000 adds the 80,000 missing. Loading goes by chunks of accounts, each chunk's
documents before its account documents, so an account that exists has everything it owns: a
chunk whose accounts all exist is skipped, and an interrupted load is finished by the next one
(a document inserted twice is refused by its `_id` and ignored).

Generated accounts have no password hash: like the demo's learners, they cannot sign in.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect, BulkWriteError

from authz.disclosures import Disclosed, Disclosures
from authz.interests import INTERESTS
from authz.principals import Principal, PrincipalKind
from authz.relations import Relation
from resolvers import collections as c
from resolvers.demo_world import account_id
from resolvers.disclosures import operation_document
from resolvers.documents import DUPLICATE_KEY
from resolvers.rollup_rebuild import rebuild
from resolvers.rollups import drifted, rebuilding

SEED = "imoox-scale-1"
#: How far back the generated institution's history goes.
HISTORY = timedelta(days=730)
#: Accounts per chunk (the unit an interrupted load resumes from), and chunks loaded at once
#: (enough to keep both cores busy while some chunks wait on the database).
CHUNK = 100
CONCURRENCY = 4
#: The waits (s) before each new attempt of an insert whose connection was lost.
RECONNECT_WAITS = (0.1, 0.5)

_NAMED = tuple(account_id(name) for name in ("alice", "bob", "carol", "dora", "erin"))
_INTERESTS = sorted(INTERESTS)
_DOMAINS: Sequence[str | None] = ("uni-graz", "tu-wien", None)
_DOMAIN_WEIGHTS = (55, 35, 10)
_KINDS = ("POST", "PHOTO", "VIDEO", "DOCUMENT", "SPREADSHEET", "EMAIL")
_KIND_WEIGHTS = (40, 15, 5, 12, 6, 22)
_VISIBILITIES = ("PUBLIC", "SHARED", "PRIVATE")
_VISIBILITY_WEIGHTS = (50, 20, 30)
_ITEM_COUNTS = (0, 1, 2, 3, 4, 5, 6, 8)
_ITEM_COUNT_WEIGHTS = (20, 25, 20, 15, 10, 5, 3, 2)
# fmt: off
_FIRST = (
    "Anna", "Lukas", "Lena", "Jakob", "Sophie", "Elias", "Marie", "David", "Laura", "Felix",
    "Julia", "Tobias", "Hannah", "Paul", "Sarah", "Maximilian", "Katharina", "Simon", "Johanna",
    "Florian", "Lea", "Matthias", "Theresa", "Jürgen", "Zoë", "Ömer",
)
_LAST = (
    "Gruber", "Huber", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer", "Hofer",
    "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler", "Weber", "Schwarz",
    "Maier", "Schneider", "Reiter", "Mayr", "Brunner", "Wimmer",
)
# fmt: on
_TOPICS = (
    "Linear algebra, week {}",
    "Notes on chapter {}",
    "Exam preparation {}",
    "Lab report {}",
    "Reading list {}",
    "Study group, session {}",
    "Project plan v{}",
    "Lecture recording {}",
)
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
    "IMOOX/4.2 (Android 15)",
)
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ë": "e"})


def scale_account_id(n: int) -> str:
    """Account n's id, shaped like the ids sign-up gives (`acct-` and 20 hex digits)."""
    return "acct-" + _hex(f"account:{n}")


def _hex(label: str, digits: int = 20) -> str:
    return hashlib.sha256(f"{SEED}:{label}".encode()).hexdigest()[:digits]


def _rng(n: int, part: str) -> random.Random:
    return random.Random(f"{SEED}:{n}:{part}")


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    moment = start + (end - start) * rng.random()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # BSON keeps ms


def _earlier(rng: random.Random, n: int, count: int) -> list[str]:
    """`count` distinct accounts that exist before account n: earlier ones, now and then a
    named demo account."""
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        if n > 1 and rng.random() < 0.9:
            chosen[scale_account_id(rng.randrange(1, n))] = None
        else:
            chosen[rng.choice(_NAMED)] = None
    return list(chosen)


def _iban(rng: random.Random) -> str:
    """A valid Austrian IBAN (ISO 13616 check digits), as `updateProfile` requires."""
    bban = f"{rng.randrange(10**5):05d}{rng.randrange(10**11):011d}"
    check = 98 - int(bban + "102900") % 97  # A=10, T=29, then "00"
    return f"AT{check:02d}{bban}"


@dataclass(frozen=True, slots=True)
class Person:
    """What the rest of an account's documents are derived from."""

    n: int
    id: str
    username: str
    display_name: str
    email: str
    domain: str | None
    status: str
    created_at: datetime


@lru_cache(maxsize=4096)
def _person(n: int, until: datetime) -> Person:
    rng = _rng(n, "person")
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    username = f"{first}.{last}{n}".lower().translate(_TRANSLITERATE)
    domain = rng.choices(_DOMAINS, _DOMAIN_WEIGHTS)[0]
    mail_domain = f"{domain}.example" if domain else "mail.example"
    status = rng.choices(("ACTIVE", "SUSPENDED", "BLOCKED"), (96, 3, 1))[0]
    created = _between(rng, until - HISTORY, until - timedelta(days=1))
    return Person(
        n, scale_account_id(n), username, f"{first} {last}", f"{username}@{mail_domain}",
        domain, status, created,
    )  # fmt: skip


def _account(person: Person, last_sign_in: datetime | None) -> dict[str, Any]:
    """The account document, as `confirmSignUp` stores it and `updateProfile` and
    `updateSettings` change it."""
    rng = _rng(person.n, "profile")
    doc: dict[str, Any] = {
        "_id": person.id,
        "username": person.username,
        "email": person.email,
        "password_hash": None,
        "display_name": person.display_name,
        "photo_url": (
            f"https://img.imoox.example/{person.username}.png" if rng.random() < 0.6 else None
        ),
        "phone": f"+43 {rng.choice((316, 1, 664, 676))} {rng.randrange(10**6, 10**7)}"
        if rng.random() < 0.5
        else None,
        "domain": person.domain,
        "status": person.status,
        "rights_limits": {"edit": rng.random() < 0.01, "delete": False, "privacy": False},
        "settings": {
            "language": rng.choices(("de", "en", None), (70, 20, 10))[0],
            "personalized_ads": rng.random() < 0.6,
            "friends_recommendations": rng.random() < 0.85,
            "profile_visibility": "PUBLIC" if rng.random() < 0.75 else "PRIVATE",
        },
        "stats": {"apps_installed": rng.randrange(0, 9), "last_sign_in_at": last_sign_in},
        "ad_interests": rng.sample(_INTERESTS, rng.choice((0, 0, 1, 2, 3))),
        "created_at": person.created_at,
    }
    if rng.random() < 0.2:
        doc["address"] = {
            "street": f"{rng.choice(_LAST)}gasse {rng.randrange(1, 80)}",
            "city": rng.choice(("Graz", "Wien", "Linz", "Leoben")),
            "postal_code": str(rng.choice((8010, 1040, 4020, 8700))),
            "country": "AT",
        }
    if rng.random() < 0.08:
        doc["billing"] = {"holder": person.display_name, "iban": _iban(rng), "plan": "PREMIUM"}
    if rng.random() < 0.03:
        doc["sensitive"] = {
            "ethnicity": None,
            "religion": None,
            "sexual_orientation": None,
            "health": "prefer not to say",
        }
    return doc


def _item(kind: str, owner: str, at: datetime, rng: random.Random, **fields: Any) -> dict[str, Any]:
    """An item as `createContent` stores it."""
    return {
        "_id": f"{kind.lower()}-{rng.getrandbits(80):020x}",
        "owner": owner,
        "kind": kind,
        "visibility": None,
        "title": None,
        "body": None,
        "shared_with": [],
        "recipients": [],
        "parent": None,
        "created_at": at,
        **fields,
    }


@lru_cache(maxsize=4096)
def _items(n: int, until: datetime) -> tuple[dict[str, Any], ...]:
    """Account n's own items (no comments): every kind, every visibility."""
    person = _person(n, until)
    rng = _rng(n, "items")
    items = []
    for k in range(rng.choices(_ITEM_COUNTS, _ITEM_COUNT_WEIGHTS)[0]):
        kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
        at = _between(rng, person.created_at, until)
        title = rng.choice(_TOPICS).format(k + 1)
        fields: dict[str, Any] = {"title": title, "body": f"{title}: draft {rng.randrange(100)}."}
        if kind == "EMAIL":
            fields["visibility"] = "PRIVATE"
            fields["recipients"] = _earlier(rng, n, rng.randint(1, 3))
        else:
            fields["visibility"] = rng.choices(_VISIBILITIES, _VISIBILITY_WEIGHTS)[0]
            if fields["visibility"] == "SHARED":
                fields["shared_with"] = _earlier(rng, n, rng.randint(1, 3))
        if kind in ("PHOTO", "VIDEO"):
            fields["body"] = f"https://img.imoox.example/{person.username}/{k}.jpg"
        items.append(_item(kind, person.id, at, rng, **fields))
    return tuple(items)


def _comments(person: Person, until: datetime) -> Iterator[dict[str, Any]]:
    """Comments on public items of earlier accounts (whoever sees an item may comment)."""
    rng = _rng(person.n, "comments")
    for _ in range(rng.choices((0, 1, 2, 3), (50, 30, 12, 8))[0]):
        if person.n == 1:
            return
        public = [
            i for i in _items(rng.randrange(1, person.n), until) if i["visibility"] == "PUBLIC"
        ]
        if not public:
            continue
        parent = rng.choice(public)
        at = _between(rng, max(parent["created_at"], person.created_at), until)
        body = rng.choice(("Thanks!", "Very helpful.", "See you Tuesday.", "Great notes."))
        yield _item("COMMENT", person.id, at, rng, body=body, parent=parent["_id"])


@dataclass(slots=True)
class Documents:
    """One chunk's documents by collection; accounts go last."""

    by_collection: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, collection: str, *docs: dict[str, Any]) -> None:
        self.by_collection.setdefault(collection, []).extend(docs)

    def __len__(self) -> int:
        return sum(len(docs) for docs in self.by_collection.values())


def _sign_ins(person: Person, until: datetime, out: Documents) -> datetime | None:
    """Devices and sign-ins as `signIn` records them, with the alert a new device raises;
    returns the last sign-in."""
    rng = _rng(person.n, "sign-ins")
    count = rng.choices((0, 1, 2, 3, 4, 6, 10), (15, 25, 20, 15, 10, 10, 5))[0]
    moments = sorted(_between(rng, person.created_at, until) for _ in range(count))
    devices: dict[str, dict[str, Any]] = {}
    pool = [f"{rng.getrandbits(64):016x}" for _ in range(rng.choice((1, 1, 2, 3)))]
    for at in moments:
        device_id = rng.choice(pool)
        device = devices.get(device_id)
        suspicious = device is None and bool(devices)
        if device is None:
            device = devices[device_id] = {
                "_id": f"{rng.getrandbits(128):032x}",
                "account": person.id,
                "device_id": device_id,
                "user_agent": rng.choice(_AGENTS),
                "first_seen_at": at,
            }
        device["last_seen_at"] = at
        out.add(
            c.SIGN_INS,
            {
                "_id": f"{rng.getrandbits(128):032x}",
                "account": person.id,
                "at": at,
                "device_id": device_id,
                "user_agent": device["user_agent"],
                "ip": f"203.0.113.{rng.randrange(1, 255)}",
                "suspicious": suspicious,
            },
        )
        if suspicious:
            _alert(person, device["user_agent"], at, rng, out)
    out.add(c.DEVICES, *devices.values())
    return moments[-1] if moments else None


def _alert(person: Person, agent: str, at: datetime, rng: random.Random, out: Documents) -> None:
    """The `SUSPICIOUS_SIGN_IN` notification and its mail (same id), already sent."""
    notification_id = f"{rng.getrandbits(128):032x}"
    message = f"New sign-in from an unknown device ({agent})."
    out.add(
        c.NOTIFICATIONS,
        {
            "_id": notification_id,
            "account": person.id,
            "kind": "SUSPICIOUS_SIGN_IN",
            "message": message,
            "created_at": at,
            "read": rng.random() < 0.7,
        },
    )
    out.add(
        c.MAIL_OUTBOX,
        {
            "_id": notification_id,
            "account": person.id,
            "to": person.email,
            "subject": message,
            "body": message,
            "kind": "SUSPICIOUS_SIGN_IN",
            "created_at": at,
            "sent_at": at + timedelta(seconds=rng.randrange(2, 60)),
        },
    )


def _disclosure(
    person: Person,
    rng: random.Random,
    principal: tuple[str, str, str],
    fields: list[str],
    purpose: str | None,
    at: datetime,
) -> dict[str, Any]:
    """One operation's record of one subject (`resolvers.disclosures`)."""
    kind, principal_id, relation = principal
    record = Disclosed(person.id, Relation(relation), tuple(fields), purpose, None)
    operation = Disclosures(Principal(PrincipalKind(kind), principal_id), at, (record,))
    return operation_document(operation, f"{rng.getrandbits(128):032x}")


_CONSENTS = (
    # recipient, fields, purpose, source: `contactBusiness`, then `grantConsent`s.
    ("flowershop", ["phone"], "contact", "ACTION"),
    ("flowershop", ["address", "phone"], "delivery", "GRANT"),
    ("trendlens", ["email"], "newsletter", "GRANT"),
    ("adnet", ["email"], "newsletter", "GRANT"),
)


def _third_parties(person: Person, until: datetime, out: Documents) -> None:
    """Consents, support cases, and the disclosure records their readers left."""
    rng = _rng(person.n, "third-parties")
    span = (person.created_at, until)
    for recipient, fields, purpose, source in _CONSENTS:
        if rng.random() >= 0.01:
            continue
        granted = _between(rng, *span)
        expires = granted + timedelta(days=365) if rng.random() < 0.1 else None
        revoked = _between(rng, granted, until) if rng.random() < 0.1 else None
        out.add(
            c.CONSENTS,
            {
                "_id": f"consent-{rng.getrandbits(80):020x}",
                "subject": person.id,
                "recipient": recipient,
                "fields": fields,
                "purpose": purpose,
                "explicit": False,
                "source": source,
                "granted_at": granted,
                "expires_at": expires,
                "revoked_at": revoked,
            },
        )
        if recipient == "flowershop":
            read = _between(rng, granted, revoked or until)
            coordinates = [f"Account.{name}" for name in fields]
            partner = ("partner", recipient, "PARTNER")
            out.add(c.DISCLOSURES, _disclosure(person, rng, partner, coordinates, purpose, read))
    if rng.random() < 0.005:
        opened = _between(rng, *span)
        still_open = rng.random() < 0.2
        messages = [{"author": person.id, "at": opened, "text": "I cannot open my course."}]
        if not still_open or rng.random() < 0.5:
            reply = opened + timedelta(hours=rng.randrange(1, 48))
            messages.append({"author": "helpdesk-co", "at": reply, "text": "Fixed, try again."})
            helper = ("processor", "helpdesk-co", "PROCESSOR")
            seen = ["Account.email", "Account.status", "Account.username"]
            out.add(c.DISCLOSURES, _disclosure(person, rng, helper, seen, "support", reply))
        out.add(
            c.SUPPORT_CASES,
            {
                "_id": f"case-{rng.getrandbits(80):020x}",
                "subject": person.id,
                "purpose": "support",
                "processor": "helpdesk-co" if len(messages) > 1 else None,
                "status": "OPEN" if still_open else "CLOSED",
                "opened_at": opened,
                "closed_at": None if still_open else messages[-1]["at"],
                "messages": messages,
            },
        )
    if person.domain == "uni-graz" and rng.random() < 0.2:
        admin = ("domain_admin", account_id("dora"), "DOMAIN_ADMIN")
        seen = ["Account.email", "Account.status"]
        out.add(c.DISCLOSURES, _disclosure(person, rng, admin, seen, None, _between(rng, *span)))


def chunk_documents(first: int, last: int, until: datetime) -> Documents:
    """Everything accounts `first`..`last` (inclusive) own, accounts included."""
    out = Documents()
    accounts = []
    for n in range(first, last + 1):
        person = _person(n, until)
        out.add(c.CONTENT, *_items(n, until), *_comments(person, until))
        last_sign_in = _sign_ins(person, until, out) if person.status == "ACTIVE" else None
        _third_parties(person, until, out)
        accounts.append(_account(person, last_sign_in))
    out.add(c.ACCOUNTS, *accounts)
    return out


@dataclass(slots=True)
class Progress:
    """Counts of a load, reported through `report` at most every `every` seconds."""

    total_accounts: int
    report: Callable[[str], None]
    every: float = 5.0
    accounts: int = 0
    skipped: int = 0
    documents: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def add(self, accounts: int, documents: int, *, skipped: bool = False) -> None:
        self.accounts += accounts
        self.skipped += accounts if skipped else 0
        self.documents += documents
        now = time.monotonic()
        if now - self._last >= self.every or self.accounts == self.total_accounts:
            self._last = now
            self.report(self.line())

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        rate = self.documents / self.seconds if self.seconds else 0.0
        remaining = self.total_accounts - self.accounts
        loaded = self.accounts - self.skipped
        eta = remaining * self.seconds / loaded if loaded else 0.0
        return (
            f"scale: {self.accounts:,}/{self.total_accounts:,} accounts"
            f" ({self.skipped:,} already there), {self.documents:,} documents inserted,"
            f" {rate:,.0f} docs/s, {self.seconds:,.0f} s, about {eta:,.0f} s left"
        )


async def _insert(db: AsyncDatabase[Any], collection: str, docs: list[dict[str, Any]]) -> int:
    """Insert what is not there yet, again after a lost connection (`RECONNECT_WAITS`).

    The embedded server's URI turns the driver's retryable writes off, so a connection the
    server drops fails the insert outright; the documents that went in before are duplicates
    the next attempt skips, so the load goes on instead of ending there."""
    for wait in RECONNECT_WAITS:
        try:
            return await _insert_once(db, collection, docs)
        except AutoReconnect:
            await asyncio.sleep(wait)
    return await _insert_once(db, collection, docs)


async def _insert_once(db: AsyncDatabase[Any], collection: str, docs: list[dict[str, Any]]) -> int:
    """Insert what is not there yet; any refusal other than an existing `_id` is raised (a
    document the validator refuses is a bug in this module)."""
    try:
        result = await db[collection].insert_many(docs, ordered=False)
    except BulkWriteError as error:
        refused = [e for e in error.details["writeErrors"] if e["code"] != DUPLICATE_KEY]
        if refused:
            raise
        return int(error.details["nInserted"])
    return len(result.inserted_ids)


async def _load_chunk(db: AsyncDatabase[Any], first: int, last: int, until: datetime) -> int:
    ids = [scale_account_id(n) for n in range(first, last + 1)]
    there = await db[c.ACCOUNTS].count_documents({"_id": {"$in": ids}})
    if there == len(ids):
        return -1
    docs = chunk_documents(first, last, until)
    accounts = docs.by_collection.pop(c.ACCOUNTS)
    counts = await asyncio.gather(
        *(_insert(db, name, batch) for name, batch in docs.by_collection.items() if batch)
    )
    return sum(counts) + await _insert(db, c.ACCOUNTS, accounts)


async def load_scale_world(
    db: AsyncDatabase[Any],
    accounts: int,
    until: datetime,
    report: Callable[[str], None],
    *,
    chunk: int = CHUNK,
    concurrency: int = CONCURRENCY,
) -> Progress:
    """Load generated accounts 1..`accounts` whose history ends at `until` (the demo world
    must be there: they share items with its people); returns the final counts."""
    progress = Progress(accounts, report)
    starts = iter(range(1, accounts + 1, chunk))

    async def worker() -> None:
        for first in starts:
            last = min(first + chunk - 1, accounts)
            inserted = await _load_chunk(db, first, last, until)
            progress.add(last - first + 1, max(inserted, 0), skipped=inserted < 0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return progress


async def after_load(db: AsyncDatabase[Any], report: Callable[[str], None]) -> None:
    """After a bulk load: recount the rollups and counters the load bypassed (the write paths
    keep them), then report what the database holds. A load that left the counted totals
    right and no rebuild half-done needs no recount (at +100,000 accounts a recount reads
    every document and takes minutes even when it changes nothing)."""
    if await drifted(db) or await rebuilding(db):
        changed = await rebuild(db, lambda stage, done: report(f"rollups: {stage}: {done:,}"))
        report(f"rollups: {changed:,} counter and mark documents written")
    else:
        report("rollups: up to date (every collection's size is its counted total)")
    for name in (c.ACCOUNTS, c.CONTENT, c.SIGN_INS, c.CONSENTS, c.DISCLOSURES):
        report(f"scale: {name}: {await db[name].estimated_document_count():,} documents")
