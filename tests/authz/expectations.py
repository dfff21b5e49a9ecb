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
