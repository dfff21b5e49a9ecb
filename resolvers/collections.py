"""Collection names, `$jsonSchema` validators and indexes, applied idempotently at start-up.

The validators make the database itself refuse malformed documents, so a bug in one writer
cannot store half-formed accounts or content that every reader would then have to guard against.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

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
SIGN_UPS = "sign_ups"

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
    SIGN_UPS,
)

CONTENT_KINDS = ["POST", "COMMENT", "PHOTO", "VIDEO", "DOCUMENT", "SPREADSHEET", "EMAIL"]
VISIBILITIES = ["PRIVATE", "SHARED", "PUBLIC"]
ACCOUNT_STATUSES = ["ACTIVE", "SUSPENDED", "BLOCKED"]

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
            "visibility": {"enum": VISIBILITIES},
            "title": _OPTIONAL_STRING,
            "body": _OPTIONAL_STRING,
            "shared_with": _STRINGS,
            "recipients": _STRINGS,
            "parent": _OPTIONAL_STRING,
            "created_at": {"bsonType": "date"},
        },
    },
}

INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [
        IndexModel("username", unique=True, name="username_unique"),
        IndexModel("email", unique=True, name="email_unique"),
        IndexModel("domain", name="by_domain"),
        # A reset code is looked up by its hash; only accounts in a reset carry one.
        IndexModel("password_reset.code_hash", unique=True, sparse=True, name="reset_code"),
    ],
    CONTENT: [
        IndexModel([("owner", ASCENDING), ("visibility", ASCENDING)], name="by_owner_visibility"),
        IndexModel(
            [("visibility", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="feed",
        ),
        IndexModel("parent", name="by_parent"),
    ],
    CONSENTS: [
        IndexModel([("subject", ASCENDING), ("recipient", ASCENDING)], name="by_subject"),
        IndexModel([("recipient", ASCENDING), ("granted_at", ASCENDING)], name="by_recipient"),
    ],
    DEVICES: [
        IndexModel([("account", ASCENDING), ("device_id", ASCENDING)], name="by_account_device")
    ],
    SIGN_INS: [IndexModel([("account", ASCENDING), ("at", DESCENDING)], name="by_account")],
    NOTIFICATIONS: [
        IndexModel([("account", ASCENDING), ("created_at", DESCENDING)], name="by_account")
    ],
    SUPPORT_CASES: [IndexModel([("subject", ASCENDING), ("status", ASCENDING)], name="by_subject")],
    DISCLOSURES: [IndexModel([("subject", ASCENDING), ("at", DESCENDING)], name="by_subject")],
    # Revocations need only outlive the tokens they revoke.
    REVOKED_TOKENS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    SESSIONS: [
        IndexModel("account", name="by_account"),
        IndexModel("family", name="by_family"),
        IndexModel("expires_at", expireAfterSeconds=0, name="expiry"),
    ],
    MAIL_OUTBOX: [IndexModel([("sent_at", ASCENDING), ("created_at", ASCENDING)], name="unsent")],
    ADMIN_AUDIT: [IndexModel([("subject", ASCENDING), ("at", DESCENDING)], name="by_subject")],
    LEGAL_REQUESTS: [IndexModel([("registered_at", ASCENDING)], name="by_registration")],
    POLICY_VERSIONS: [IndexModel("state", name="by_state")],
    SIGN_IN_FAILURES: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
    SIGN_UPS: [IndexModel("expires_at", expireAfterSeconds=0, name="expiry")],
}


async def ensure_schema(db: AsyncDatabase[Any]) -> None:
    """Create every collection with its validator and indexes; safe to run on every start."""
    existing = set(await db.list_collection_names())
    for name in ALL:
        if name not in existing:
            await db.create_collection(name)
        if name in VALIDATORS:
            validator = {"$jsonSchema": VALIDATORS[name]}
            await db.command("collMod", name, validator=validator, validationLevel="strict")
        if name in INDEXES:
            await db[name].create_indexes(INDEXES[name])
