"""Collection names, `$jsonSchema` validators and indexes, applied idempotently at start-up;
and `OWNED`, the one declaration of where a person's account id is kept.

The validators make the database itself refuse malformed documents, so a bug in one writer
cannot store half-formed accounts or content that every reader would then have to guard against.

`OWNED` names every (collection, field) holding an account id, with what the data export
shows of it and what erasure does to it; the export sections (`resolvers.export`), the
erasure steps (`resolvers.erasure`) and an index on every owner key are derived from it, so
a new collection is exported, erased and indexed by adding one row, and a collection holding
account ids without a row fails `tests/test_ownership.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

ACCOUNTS = "accounts"
DOMAINS = "domains"
CONTENT = "content"
CONSENTS = "consents"
DEVICES = "devices"
SIGN_INS = "sign_ins"
NOTIFICATIONS = "notifications"
SUPPORT_CASES = "support_cases"
LEGAL_REQUESTS = "legal_requests"
DISCLOSURES = "disclosures"
REVOKED_TOKENS = "revoked_tokens"
SESSIONS = "sessions"
DEVICE_SETTINGS = "device_settings"
MAIL_OUTBOX = "mail_outbox"
ERASURES = "erasures"
PARTNERS = "partners"
ADMIN_AUDIT = "admin_audit"
POLICY_VERSIONS = "policy_versions"
SIGN_IN_FAILURES = "sign_in_failures"
#: Aggregate counts as first published: a published number never changes (`resolvers.aggregates`).
PUBLISHED_COUNTS = "published_counts"
#: Rollup cells and counters, kept with the writes they count (`resolvers.rollups`).
COUNTERS = "counters"
#: Which accounts a rollup cell counts, and how many of their documents (`resolvers.rollups`).
ROLLUP_MARKS = "rollup_marks"
SIGN_UPS = "sign_ups"
#: One mark per gateway process, rewritten every few hundred milliseconds: when the change
#: stream brings it back, everything committed before it was written has been seen.
STANDING_MARKS = "standing_marks"
#: Request counts per hashed key and minute, shared by replicas (`resolvers.rate_counts`).
RATE_COUNTS = "rate_counts"
#: Who runs each resumable job, until when (`resolvers.leases`).
JOB_LEASES = "job_leases"

#: The gateway's own bookkeeping: written on its own schedule (marks and rate counts every
#: 250 ms, leases as jobs come and go), whatever a request does or refuses to do.
BOOKKEEPING = frozenset({STANDING_MARKS, RATE_COUNTS, JOB_LEASES})
ALL = (
    ACCOUNTS,
    DOMAINS,
    CONTENT,
    CONSENTS,
    DEVICES,
    SIGN_INS,
    NOTIFICATIONS,
    SUPPORT_CASES,
    LEGAL_REQUESTS,
    DISCLOSURES,
    REVOKED_TOKENS,
    SESSIONS,
    DEVICE_SETTINGS,
    MAIL_OUTBOX,
    ERASURES,
    PARTNERS,
    ADMIN_AUDIT,
    POLICY_VERSIONS,
    SIGN_IN_FAILURES,
    PUBLISHED_COUNTS,
    COUNTERS,
    ROLLUP_MARKS,
    SIGN_UPS,
    STANDING_MARKS,
    RATE_COUNTS,
    JOB_LEASES,
)

CONTENT_KINDS = ["POST", "COMMENT", "PHOTO", "VIDEO", "DOCUMENT", "SPREADSHEET", "EMAIL"]
VISIBILITIES = ["PRIVATE", "SHARED", "PUBLIC"]
ACCOUNT_STATUSES = ["ACTIVE", "SUSPENDED", "BLOCKED"]

#: The server's error code for a collection that already exists.
_NAMESPACE_EXISTS = 48

_STRING = {"bsonType": "string"}
_OPTIONAL_STRING = {"bsonType": ["string", "null"]}
_STRINGS = {"bsonType": "array", "items": _STRING}

VALIDATORS: dict[str, dict[str, Any]] = {
    ACCOUNTS: {
        "bsonType": "object",
        "required": ["_id", "username", "display_name", "status", "created_at"],
        "properties": {
            "_id": _STRING,
            "username": {"bsonType": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{2,31}$"},
            "email": {"bsonType": ["string", "null"], "pattern": "^[^@\\s]+@[^@\\s]+$"},
            "password_hash": _OPTIONAL_STRING,
            "display_name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
            "photo_url": _OPTIONAL_STRING,
            "phone": _OPTIONAL_STRING,
            "domain": _OPTIONAL_STRING,
            "status": {"enum": ACCOUNT_STATUSES},
            "admin_of": _STRINGS,
            "ad_interests": _STRINGS,
            "created_at": {"bsonType": "date"},
        },
    },
    CONTENT: {
        "bsonType": "object",
        "required": ["_id", "owner", "kind", "visibility", "created_at"],
        "properties": {
            "_id": _STRING,
            "owner": _STRING,
            "kind": {"enum": CONTENT_KINDS},
            "visibility": {"enum": [*VISIBILITIES, None]},
            "title": _OPTIONAL_STRING,
            "body": _OPTIONAL_STRING,
            "shared_with": _STRINGS,
            "recipients": _STRINGS,
            "parent": _OPTIONAL_STRING,
            "created_at": {"bsonType": "date"},
        },
        # A comment has no audience of its own (whoever sees its item sees it), so none can be
        # stored on it; every other item has one.
        "anyOf": [
            {
                "properties": {
                    "kind": {"enum": ["COMMENT"]},
                    "visibility": {"bsonType": "null"},
                    "shared_with": {"bsonType": "array", "maxItems": 0},
                    "parent": _STRING,
                },
                "required": ["parent"],
            },
            {
                "properties": {
                    "kind": {"enum": [k for k in CONTENT_KINDS if k != "COMMENT"]},
                    "visibility": {"enum": VISIBILITIES},
                }
            },
        ],
    },
}


def _newest(*equal: str) -> list[tuple[str, int]]:
    """An index for windows over a list with equality on `equal`, newest first."""
    return [*((key, ASCENDING) for key in equal), ("created_at", DESCENDING), ("_id", DESCENDING)]


INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [
        IndexModel("username", unique=True, name="username_unique"),
        IndexModel("email", unique=True, name="email_unique"),
        IndexModel("domain", name="by_domain"),
        # A reset code is looked up by its hash; only accounts in a reset carry one.
        IndexModel("password_reset.code_hash", unique=True, sparse=True, name="reset_code"),
        # A domain's members in id order, a bounded `_id` range at a time (`member_page`).
        IndexModel([("domain", ASCENDING), ("_id", ASCENDING)], name="by_domain_id"),
        # `recommendations`: accounts not opted out (true, or null), in id order, a bounded
        # `_id` range at a time (`recommendable_accounts`).
        IndexModel(
            [("settings.friends_recommendations", ASCENDING), ("_id", ASCENDING)],
            name="recommendable",
        ),
    ],
    # Every content list reads one index range per branch and time window
    # (`resolvers.windows`): equality keys, then (created_at, _id) newest first.
    CONTENT: [
        # publicFeed: PUBLIC items.
        IndexModel(_newest("visibility"), name="feed"),
        # An account's own items (me { content }; a legal request's listed subject).
        IndexModel(_newest("owner"), name="by_owner_time"),
        # Another account's PUBLIC items, and its comments (visibility null).
        IndexModel(_newest("owner", "visibility"), name="by_owner_visibility_time"),
        # Another account's items shared with the caller.
        IndexModel(_newest("owner", "shared_with"), name="by_owner_shared_time"),
        # Another account's emails to the caller.
        IndexModel(_newest("owner", "recipients"), name="by_owner_recipients_time"),
        # The comments on an item.
        IndexModel(_newest("parent"), name="by_parent_time"),
    ],
    CONSENTS: [
        IndexModel([("subject", ASCENDING), ("recipient", ASCENDING)], name="by_subject"),
        IndexModel([("recipient", ASCENDING), ("granted_at", ASCENDING)], name="by_recipient"),
        # A partner's standing toward a page of subjects (`resolvers.facts.active_consents`):
        # SecantusDB plans equality then `$in` on this index, but `$in` then equality on
        # `by_subject` as a collection scan.
        IndexModel([("recipient", ASCENDING), ("subject", ASCENDING)], name="by_recipient_subject"),
        # `Account.consents`, newest first (`resolvers.related.newest_pages`), and those below.
        IndexModel(
            [("subject", ASCENDING), ("granted_at", DESCENDING), ("_id", DESCENDING)], name="newest"
        ),
        # `partnerContacts`: consents naming the partner, not revoked, newest first
        # (`resolvers.consents.contacts_page`).
        IndexModel(
            [
                ("recipient", ASCENDING),
                ("revoked_at", ASCENDING),
                ("granted_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="contacts",
        ),
    ],
    DEVICES: [
        IndexModel([("account", ASCENDING), ("device_id", ASCENDING)], name="by_account_device"),
        IndexModel(
            [("account", ASCENDING), ("first_seen_at", DESCENDING), ("_id", DESCENDING)],
            name="newest",
        ),
    ],
    SIGN_INS: [IndexModel([("account", ASCENDING), ("at", DESCENDING)], name="by_account")],
    NOTIFICATIONS: [
        IndexModel([("account", ASCENDING), ("created_at", DESCENDING)], name="by_account")
    ],
    SUPPORT_CASES: [
        IndexModel([("subject", ASCENDING), ("status", ASCENDING)], name="by_subject"),
        IndexModel(
            [("subject", ASCENDING), ("opened_at", DESCENDING), ("_id", DESCENDING)], name="newest"
        ),
        # The processor's `supportCases`: its open cases of its purpose, newest first
        # (`resolvers.support.handled_page`).
        IndexModel(
            [
                ("processor", ASCENDING),
                ("purpose", ASCENDING),
                ("status", ASCENDING),
                ("opened_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            name="handled",
        ),
    ],
    # One document per operation (`resolvers.disclosures`): a subject's records, newest first.
    DISCLOSURES: [
        IndexModel(
            [("subjects", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], name="by_subjects"
        )
    ],
    # Revocations need only outlive the tokens they revoke.
    REVOKED_TOKENS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    SESSIONS: [
        IndexModel("account", name="by_account"),
        IndexModel("family", name="by_family"),
        IndexModel("expires_at", expireAfterSeconds=0, name="expiry"),
    ],
    MAIL_OUTBOX: [IndexModel([("sent_at", ASCENDING), ("created_at", ASCENDING)], name="unsent")],
    ADMIN_AUDIT: [
        IndexModel([("subject", ASCENDING), ("at", DESCENDING)], name="by_subject"),
        # A domain's audit, newest first, read through windows (`Domain.auditLog`).
        IndexModel(
            [("domain", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], name="by_domain_time"
        ),
    ],
    LEGAL_REQUESTS: [IndexModel([("registered_at", ASCENDING)], name="by_registration")],
    POLICY_VERSIONS: [IndexModel("state", name="by_state")],
    SIGN_IN_FAILURES: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    SIGN_UPS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    STANDING_MARKS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    RATE_COUNTS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    JOB_LEASES: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
}


class Erasure(StrEnum):
    """What erasing an account does to the documents naming it under an owner key."""

    LOCK = "lock"  # the account document: no credential works any more
    DELETE = "delete"  # the documents whose key is the account
    DELETE_REPLIES = "delete replies"  # those whose `parent` is one of the account's (by key)
    PULL = "pull"  # the account leaves the list in key; the document (someone else's) stays
    PSEUDONYMISE = "pseudonymise"  # records the law keeps: the account id becomes a pseudonym
    FORGET_USERNAME = "forget username"  # key starts with `username|` (sign-in lockout counters)
    UNCOUNT = "uncount"  # what the account still adds to rollups and counters is taken back


@dataclass(frozen=True, slots=True)
class Listing:
    """One section of the data export: documents the owner reads about themselves."""

    name: str
    type_name: str
    where: Mapping[str, Any] = field(default_factory=dict)
    sort: tuple[tuple[str, int], ...] = (("_id", 1),)
    one: bool = False  # the owner's one document (the account), not a list


@dataclass(frozen=True, slots=True)
class Owned:
    """One place an account id is kept: `key` of `collection` (a list of ids when `many`).

    `step` names the erasure step that handles it; job records store step names, so a name
    never changes. Rows of one step are adjacent.
    """

    step: str
    collection: str
    key: str
    erasure: Erasure
    export: tuple[Listing, ...] = ()
    many: bool = False


_OLDEST_FIRST = (("created_at", 1), ("_id", 1))

#: In erasure order, which is also the order of the export's sections. Order constraints:
#: the lock-out comes first (a half-erased account cannot be used), replies before the items
#: they answer (found through them), the account document, then the records the law keeps
#: (pseudonymised once nothing can read the account any more), and the username-keyed
#: counters last (the job keeps the username).
OWNED: tuple[Owned, ...] = (
    Owned("lock_out", ACCOUNTS, "_id", Erasure.LOCK, (Listing("account", "Account", one=True),)),
    Owned("lock_out", SESSIONS, "account", Erasure.DELETE),
    Owned("devices", DEVICES, "account", Erasure.DELETE, (Listing("devices", "Device"),)),
    Owned(
        "sign_ins",
        SIGN_INS,
        "account",
        Erasure.DELETE,
        (Listing("signIns", "SignIn", sort=(("at", 1),)),),
    ),
    Owned("comments_on_own_items", CONTENT, "owner", Erasure.DELETE_REPLIES),
    Owned(
        "content",
        CONTENT,
        "owner",
        Erasure.DELETE,
        (
            Listing("content", "Content", {"kind": {"$ne": "COMMENT"}}, _OLDEST_FIRST),
            Listing("comments", "Content", {"kind": "COMMENT"}, _OLDEST_FIRST),
        ),
    ),
    Owned("shares", CONTENT, "shared_with", Erasure.PULL, many=True),
    Owned("shares", CONTENT, "recipients", Erasure.PULL, many=True),
    Owned(
        "consents",
        CONSENTS,
        "subject",
        Erasure.DELETE,
        (Listing("consents", "Consent", sort=(("granted_at", 1),)),),
    ),
    Owned(
        "notifications",
        NOTIFICATIONS,
        "account",
        Erasure.DELETE,
        (Listing("notifications", "Notification", sort=(("created_at", 1),)),),
    ),
    Owned("mail_outbox", MAIL_OUTBOX, "account", Erasure.DELETE),
    Owned(
        "support_cases",
        SUPPORT_CASES,
        "subject",
        Erasure.DELETE,
        (Listing("supportCases", "SupportCase", sort=(("opened_at", 1),)),),
    ),
    # Only a case's subject and its processor write in it: these are the subject's cases.
    Owned("support_cases", SUPPORT_CASES, "messages.author", Erasure.DELETE),
    # After its items and sign-ins: what is left of the account in the counts goes, then the
    # per-account counters (`resolvers.rollups`).
    Owned("rollups", ROLLUP_MARKS, "account", Erasure.UNCOUNT),
    Owned("rollups", COUNTERS, "account", Erasure.DELETE),
    Owned("account", ACCOUNTS, "_id", Erasure.DELETE),
    # After the account document: until it goes, its domain admin can still read the locked
    # account, and those reads' records must be pseudonymised too. One disclosure document per
    # operation: its subjects' ids are pseudonymised where they stand.
    Owned(
        "disclosures",
        DISCLOSURES,
        "subjects",
        Erasure.PSEUDONYMISE,
        (Listing("disclosures", "Disclosure", sort=(("at", 1), ("_id", 1))),),
        many=True,
    ),
    Owned("disclosures", DISCLOSURES, "principal_id", Erasure.PSEUDONYMISE),
    Owned("admin_audit", ADMIN_AUDIT, "subject", Erasure.PSEUDONYMISE),
    Owned("admin_audit", ADMIN_AUDIT, "actor", Erasure.PSEUDONYMISE),
    Owned("legal_requests", LEGAL_REQUESTS, "subjects", Erasure.PSEUDONYMISE, many=True),
    Owned("sign_in_failures", SIGN_IN_FAILURES, "_id", Erasure.FORGET_USERNAME),
)


def owner_indexes() -> dict[str, list[IndexModel]]:
    """An index on every owner key that no index of `INDEXES` leads with already, so erasure
    and export find a person's documents without scanning a collection."""
    derived: dict[str, dict[str, IndexModel]] = {}
    for row in OWNED:
        leading = {next(iter(model.document["key"])) for model in INDEXES.get(row.collection, [])}
        if row.key != "_id" and row.key not in leading:
            model = IndexModel(row.key, name=f"owner_{row.key}")
            derived.setdefault(row.collection, {})[row.key] = model
    return {collection: list(models.values()) for collection, models in derived.items()}


async def ensure_schema(db: AsyncDatabase[Any]) -> None:
    """Create every collection with its validator and indexes; safe to run on every start."""
    existing = set(await db.list_collection_names())
    owners = owner_indexes()
    for name in ALL:
        if name not in existing:
            await _create_collection(db, name)
        if name in VALIDATORS:
            validator = {"$jsonSchema": VALIDATORS[name]}
            await db.command("collMod", name, validator=validator, validationLevel="strict")
        if indexes := [*INDEXES.get(name, ()), *owners.get(name, ())]:
            await db[name].create_indexes(indexes)


async def _create_collection(db: AsyncDatabase[Any], name: str) -> None:
    """Create `name`, unless another process just did: workers and replicas start together."""
    try:
        await db.create_collection(name, check_exists=False)
    except OperationFailure as error:
        if error.code != _NAMESPACE_EXISTS:
            raise
