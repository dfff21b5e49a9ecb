"""SPEC §4 and §5 restated by hand, independently of `authz/policy.py`.

If the policy table is wrong, the gateway follows it and these expectations catch it; if the
enforcement is wrong, the table-derived expectations catch it. Do not generate this file.
"""

from __future__ import annotations

ACCOUNT_FIELDS = frozenset(
    {
        "id",
        "displayName",
        "photoUrl",
        "username",
        "email",
        "phone",
        "address",
        "billing",
        "sensitive",
        "domain",
        "status",
        "rightsLimits",
        "stats",
        "settings",
        "adInterests",
        "devices",
        "signIns",
        "notifications",
        "consents",
        "disclosures",
        "supportCases",
        "content",
    }
)

#: What `PUBLIC` sees: the three public fields, and the list of visible content.
PUBLIC = frozenset({"id", "displayName", "photoUrl", "content"})

#: (viewer handle or None for anonymous, subject username) → Account fields readable.
ACCOUNT_ACCESS: dict[tuple[str | None, str], frozenset[str]] = {
    (None, "alice"): PUBLIC,
    ("alice", "alice"): ACCOUNT_FIELDS,
    # "A user reading another account sees exactly what PUBLIC sees."
    ("bob", "alice"): PUBLIC,
    ("carol", "alice"): PUBLIC,
    # dora administers uni-graz, alice's domain, but not tu-wien, carol's.
    ("dora", "alice"): PUBLIC
    | {"username", "email", "domain", "status", "rightsLimits", "stats", "settings"},
    ("dora", "carol"): PUBLIC,
    ("dora", "erin"): PUBLIC,
    # helpdesk-co has purpose support; alice has an open support case, bob has none.
    ("helpdesk-co", "alice"): PUBLIC | {"username", "email", "status", "supportCases"},
    ("helpdesk-co", "bob"): PUBLIC,
    # alice pressed "call" on flowershop: it may read her phone, nothing else.
    ("flowershop", "alice"): PUBLIC | {"phone"},
    ("flowershop", "bob"): PUBLIC,
    ("adnet", "alice"): PUBLIC,
    ("trendlens", "alice"): PUBLIC,
    # police-graz's approved request lists bob's email and phone only.
    ("police-graz", "bob"): PUBLIC | {"email", "phone"},
    ("police-graz", "alice"): PUBLIC,
    ("cora", "alice"): PUBLIC,
}

#: Inside `settings`, a domain admin reads `profileVisibility` only.
SETTINGS_FOR_DOMAIN_ADMIN = frozenset({"profileVisibility"})

CONTENT_FIELDS = frozenset(
    {
        "id",
        "kind",
        "title",
        "body",
        "visibility",
        "createdAt",
        "sharedWith",
        "recipients",
        "author",
        "comments",
        # Where a comment stands in its item's `comments` (null read any other way): as
        # readable as the comment itself.
        "cursor",
    }
)

#: (viewer, item id) → Content fields readable; a missing entry means the item is invisible.
CONTENT_ACCESS: dict[tuple[str | None, str], frozenset[str] | None] = {
    ("alice", "post-alice-shared"): CONTENT_FIELDS,
    # sharedWith is readable by the owner only.
    ("bob", "post-alice-shared"): CONTENT_FIELDS - {"sharedWith"},
    ("carol", "post-alice-shared"): None,
    (None, "post-alice-shared"): None,
    (None, "post-alice-garden"): CONTENT_FIELDS - {"sharedWith"},
    ("police-graz", "post-alice-garden"): CONTENT_FIELDS - {"sharedWith"},
    ("bob", "email-alice-bob"): CONTENT_FIELDS - {"sharedWith"},
    ("carol", "email-alice-bob"): None,
    ("alice", "email-alice-bob"): CONTENT_FIELDS,
}


#: SPEC §7 restated for the demo world: who may make each call of `test_write_matrix.CALLS`.
#: Calls about a person's own data are made by each caller about themselves; calls about
#: another account (admin actions, support replies) name alice, a uni-graz member with an
#: open support case (helpdesk-co) and a consent (flowershop). `dora` here is her
#: `domain_admin` token, not a `user`.
USERS = frozenset({"alice", "bob", "carol", "erin"})
ALL_CALLERS = frozenset(
    {None, *USERS, "dora", "helpdesk-co", "flowershop", "adnet", "trendlens", "police-graz", "cora"}
)
WRITE_ACCESS: dict[str, frozenset[str | None]] = {
    "signUp": frozenset({None}),
    "confirmSignUp": frozenset({None}),
    "signIn": frozenset({None}),
    "resetPassword": frozenset({None}),
    "refreshToken": ALL_CALLERS,
    "signOut": ALL_CALLERS - {None},
    "updateDeviceSettings": frozenset({None}),
    "markNotificationRead": USERS,
    "updateProfile": USERS,
    "updateSettings": USERS,
    "createContent": USERS,
    "updateContent": USERS,
    "deleteContent": USERS,
    "exportMyData": USERS,
    "deleteMyAccount": USERS,
    "setPassword": frozenset({"dora"}),
    "suspendAccount": frozenset({"dora"}),
    "blockAccount": frozenset({"dora"}),
    "restoreAccount": frozenset({"dora"}),
    "limitRights": frozenset({"dora"}),
    "openSupportCase": USERS,
    "postSupportMessage": frozenset({"alice"}),
    "claimSupportCase": frozenset({"helpdesk-co"}),
    "replyToSupportCase": frozenset({"helpdesk-co"}),
    "closeSupportCase": frozenset({"alice", "helpdesk-co"}),
    "grantConsent": USERS,
    "revokeConsent": frozenset({"alice"}),
    "contactBusiness": USERS,
    "registerLegalRequest": frozenset({"cora"}),
    "closeLegalRequest": frozenset({"cora"}),
    "publishPolicyVersion": frozenset({"cora"}),
}
#: The rights limit (`rightsLimits.*`) that refuses a mutation even to its owner.
WRITE_LIMITS: dict[str, str] = {
    "updateProfile": "edit",
    "updateSettings": "privacy",
    "deleteContent": "delete",
    "deleteMyAccount": "delete",
}


# --- The oracle's restatement (tests/oracle): every demo principal toward any demo subject. ---

#: A domain admin reads these Account fields of a member of their domain (SPEC §4 column).
DOMAIN_ADMIN_VIEW = PUBLIC | {
    "username",
    "email",
    "domain",
    "status",
    "rightsLimits",
    "stats",
    "settings",
}
#: The domains each demo domain admin administers (their token's `domains`).
ADMINISTERS: dict[str, frozenset[str]] = {"dora": frozenset({"uni-graz"})}
#: Demo principal handle → the account id a `user` token names (SELF holds toward it only).
USER_ACCOUNTS: dict[str, str] = {name: f"acct-{name}" for name in USERS}


def account_access(viewer: str | None, subject: str, subject_domain: str | None) -> frozenset[str]:
    """SPEC §4 for a demo principal reading account `subject` (an id), whose domain is given.

    SELF reads everything; a domain admin reads the admin column for a member of a domain
    they administer, whatever the path (`account`, `author`, `members`); the pairs listed in
    `ACCOUNT_ACCESS` hold the other relations of the demo world (an open case, a consent, a
    legal request); everyone else, users included, reads what PUBLIC reads.
    """
    if viewer is not None and USER_ACCOUNTS.get(viewer) == subject:
        return ACCOUNT_FIELDS
    if subject_domain is not None and subject_domain in ADMINISTERS.get(viewer or "", ()):
        return DOMAIN_ADMIN_VIEW
    return ACCOUNT_ACCESS.get((viewer, subject.removeprefix("acct-")), PUBLIC)


#: The relation a non-owner's disclosure record names, per (viewer, subject handle); a domain
#: admin's is DOMAIN_ADMIN toward every member.
RECORDED_RELATION: dict[tuple[str, str], str] = {
    ("helpdesk-co", "alice"): "PROCESSOR",
    ("flowershop", "alice"): "PARTNER",
    ("police-graz", "bob"): "AUTHORITY",
}

#: Account fields and types whose values are not personal data of a third party's subject:
#: PUBLIC fields, and content, which its author published to the caller (VIEWER).
UNRECORDED_ACCOUNT_FIELDS = frozenset({"id", "displayName", "photoUrl", "content"})
#: Types whose every field is part of one account's data (reached below an Account field).
ACCOUNT_PART_TYPES = frozenset(
    {
        "Address",
        "BillingInfo",
        "SensitiveProfile",
        "RightsLimits",
        "Stats",
        "Settings",
        "Device",
        "SignIn",
        "Notification",
        "Consent",
        "Disclosure",
        "SupportCase",
        "SupportMessage",
    }
)


def content_visible(
    viewer: str | None, item: dict[str, object], parent: dict[str, object] | None
) -> bool:
    """SPEC §5: the owner always; PUBLIC items to everyone; SHARED to `sharedWith`; EMAIL to
    owner and recipients whatever the visibility; nothing else. A comment has no audience of
    its own: it is seen by its author and by whoever sees the item it is on now (README).
    `item` and `parent` are stored documents."""
    me = USER_ACCOUNTS.get(viewer or "")
    if me is not None and item["owner"] == me:
        return True
    if item["kind"] == "COMMENT":
        return parent is not None and content_visible(viewer, parent, None)
    if item["kind"] == "EMAIL":
        return me is not None and me in item.get("recipients", [])  # type: ignore[operator]
    if item["visibility"] == "PUBLIC":
        return True
    return item["visibility"] == "SHARED" and me is not None and me in item["shared_with"]  # type: ignore[operator]


#: SPEC §10 and §2: which demo principals may call each root the oracle asks.
ROOT_CALLERS: dict[str, frozenset[str | None]] = {
    "me": USERS,
    "account": ALL_CALLERS,
    "content": ALL_CALLERS,
    "publicFeed": ALL_CALLERS,
    "supportCases": frozenset({"helpdesk-co"}),
    "partnerContacts": frozenset({"flowershop", "adnet", "trendlens"}),
}

#: Writes on another account (SPEC §7: DOMAIN_ADMIN of the subject); the oracle's targets.
ADMIN_WRITES = frozenset({"limitRights", "suspendAccount", "restoreAccount"})
