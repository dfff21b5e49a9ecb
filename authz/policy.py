"""THE policy: which relation may read which field of which type (SPEC §4, §5).

This table is the single source of truth: decisions (`authz.decisions`), the documentation
matrix (`imoox-gateway policy show`) and the coverage check (`policy check`) all derive from it.
A field that has no rule here is denied to everyone.

Each rule lists its grants (`authz.grants`, the shape roots and writes share) in order of
preference: the first grant the caller holds decides, so a field that is PUBLIC is never
recorded as a disclosure even when the caller is SELF too.
`scope` is the account field that consents and legal requests name: they name `address`,
and that covers `Address.city`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from authz.grants import Grant, Rule, rule
from authz.principals import PartnerType
from authz.relations import Relation
from authz.rows import PRINCIPAL, Rows, any_of

#: Content items shown on their own: never an e-mail (its recipients') nor a comment (its item's).
ON_THEIR_OWN = {"kind": {"$nin": ["EMAIL", "COMMENT"]}}
#: Who sees an item (SPEC §5), one branch per way: its owner; everyone when PUBLIC; those it is
#: shared with when SHARED; the recipients of an e-mail. A comment follows its item.
AUDIENCE = any_of(
    Rows({"owner": PRINCIPAL.account}),
    Rows({"visibility": "PUBLIC"}, ON_THEIR_OWN),
    Rows({"shared_with": PRINCIPAL.account}, {"visibility": "SHARED", **ON_THEIR_OWN}),
    Rows({"recipients": PRINCIPAL.account}, {"kind": "EMAIL"}),
)
#: A support case is the processor's while it is open, of its purpose and assigned to it (a
#: case waiting for a processor is nobody's: else every processor would read each new person).
OPEN_CASES = Rows({"status": "OPEN", "purpose": PRINCIPAL.purpose, "processor": PRINCIPAL.id})

PUBLIC = Grant(Relation.PUBLIC)
SELF = Grant(Relation.SELF)
VIEWER = Grant(Relation.VIEWER, rows=AUDIENCE)
DOMAIN_ADMIN = Grant(Relation.DOMAIN_ADMIN)
SUPPORT = Grant(Relation.PROCESSOR, purpose="support")
PARTNER = Grant(Relation.PARTNER)
PARTNER_EXPLICIT_NO_ADS = Grant(
    Relation.PARTNER,
    explicit_consent=True,
    never_to=frozenset({PartnerType.ADVERTISER}),
)
AUTHORITY = Grant(Relation.AUTHORITY)
#: A legal request reads every item of the subjects it lists (not others' comments on them).
LISTED_OWNERS = Grant(Relation.AUTHORITY, rows=Rows({"owner": {"$in": PRINCIPAL.listed}}))


def same(rule_: Rule, *names: str, scope: str | None = None) -> dict[str, Rule]:
    """One rule for several fields; `scope` ties nested fields to the account field above them."""
    return {name: Rule(rule_.grants, scope=scope or rule_.scope) for name in names}


EVERYONE = rule(PUBLIC)
OWNER_ONLY = rule(SELF)

_ACCOUNT_GRANTS: dict[str, Rule] = {
    **same(EVERYONE, "id", "displayName", "photoUrl"),
    "username": rule(SELF, DOMAIN_ADMIN, SUPPORT, AUTHORITY),
    "email": rule(SELF, DOMAIN_ADMIN, SUPPORT, PARTNER, AUTHORITY),
    "phone": rule(SELF, PARTNER, AUTHORITY),
    "address": rule(SELF, PARTNER, AUTHORITY),
    "billing": rule(SELF, AUTHORITY),
    "sensitive": rule(SELF, PARTNER_EXPLICIT_NO_ADS, AUTHORITY),
    "domain": rule(SELF, DOMAIN_ADMIN, AUTHORITY),
    "status": rule(SELF, DOMAIN_ADMIN, SUPPORT, AUTHORITY),
    "rightsLimits": rule(SELF, DOMAIN_ADMIN, AUTHORITY),
    "stats": rule(SELF, DOMAIN_ADMIN),
    "settings": rule(SELF, DOMAIN_ADMIN),
    "adInterests": OWNER_ONLY,
    **same(OWNER_ONLY, "devices", "signIns", "notifications", "consents", "disclosures"),
    "supportCases": rule(
        SELF, Grant(Relation.PROCESSOR, purpose="support", note="open cases", rows=OPEN_CASES)
    ),
    "content": rule(VIEWER, LISTED_OWNERS),
}
# Every account field is its own scope: the name consents and legal requests use for it.
_ACCOUNT = {name: Rule(r.grants, scope=name) for name, r in _ACCOUNT_GRANTS.items()}


def _nested(parent: str, *names: str) -> dict[str, Rule]:
    return same(_ACCOUNT[parent], *names, scope=parent)


_CONTENT_READ = rule(VIEWER, LISTED_OWNERS, scope="content")

POLICY: Mapping[str, Mapping[str, Rule]] = MappingProxyType(
    {
        "Account": _ACCOUNT,
        "Address": _nested("address", "street", "city", "postalCode", "country"),
        "BillingInfo": _nested("billing", "holder", "iban", "plan"),
        "SensitiveProfile": _nested(
            "sensitive", "ethnicity", "religion", "sexualOrientation", "health"
        ),
        "RightsLimits": _nested("rightsLimits", "edit", "delete", "privacy"),
        "Stats": _nested("stats", "appsInstalled", "contentCount", "lastSignInAt"),
        "Settings": {
            **same(
                OWNER_ONLY,
                "language",
                "theme",
                "personalizedAds",
                "friendsRecommendations",
                scope="settings",
            ),
            "profileVisibility": rule(SELF, DOMAIN_ADMIN, scope="settings"),
        },
        # A row's `cursor` is its place in the list: read by whoever reads the row.
        "Device": _nested(
            "devices", "id", "deviceId", "userAgent", "firstSeenAt", "lastSeenAt", "cursor"
        ),
        "SignIn": _nested("signIns", "at", "deviceId", "userAgent", "ip", "suspicious", "cursor"),
        "Notification": _nested(
            "notifications", "id", "kind", "message", "createdAt", "read", "cursor"
        ),
        "Consent": _nested(
            "consents",
            "id",
            "recipient",
            "fields",
            "purpose",
            "explicit",
            "source",
            "grantedAt",
            "expiresAt",
            "revokedAt",
            "active",
            "cursor",
        ),
        "Disclosure": _nested(
            "disclosures",
            "id",
            "principalKind",
            "principalId",
            "relation",
            "fields",
            "purpose",
            "legalRequest",
            "at",
            "cursor",
        ),
        "SupportCase": _nested(
            "supportCases",
            "id",
            "purpose",
            "status",
            "openedAt",
            "closedAt",
            "messages",
            "account",
            "cursor",
        ),
        "SupportMessage": _nested("supportCases", "author", "at", "text"),
        "Content": {
            **same(
                _CONTENT_READ,
                "id",
                "kind",
                "title",
                "body",
                "visibility",
                "createdAt",
                "author",
                "comments",
                "recipients",
                # A comment's place in its item's `comments`: read by whoever reads the comment.
                "cursor",
            ),
            "sharedWith": rule(SELF, scope="content"),
        },
        # Structure, not data: what these carry is decided on the nodes inside them.
        "ContentConnection": same(EVERYONE, "edges", "pageInfo"),
        "ContentEdge": same(EVERYONE, "cursor", "node"),
        "PageInfo": same(EVERYONE, "hasNextPage", "endCursor"),
        "PolicyQuery": same(EVERYONE, "explainAccess"),
        "AccessExplanation": same(EVERYONE, "allowed", "relation", "rule", "reason"),
        # What a device remembers is the caller's own (keyed by their `X-Device-Id`).
        "DeviceSettings": same(EVERYONE, "deviceId", "language", "theme"),
        # Results of the caller's own writes (`authz.writes` decided the write); the accounts
        # and items inside them are decided as anywhere else.
        "SignUpPayload": same(EVERYONE, "mailSent"),
        "ConfirmSignUpPayload": same(EVERYONE, "accountId"),
        "AuthPayload": same(
            EVERYONE, "accessToken", "refreshToken", "tokenType", "expiresIn", "accountId"
        ),
        "SignOutPayload": same(EVERYONE, "signedOut"),
        "AccountPayload": same(EVERYONE, "account"),
        "DonePayload": same(EVERYONE, "ok"),
        "ContentPayload": same(EVERYONE, "content"),
        "DeleteContentPayload": same(EVERYONE, "deletedId"),
        "ExportMyDataPayload": same(EVERYONE, "schemaVersion", "document", "downloadPath"),
        "DeleteMyAccountPayload": same(EVERYONE, "erased"),
        "SupportCasePayload": same(EVERYONE, "caseId", "status"),
        "ClaimSupportCasePayload": same(EVERYONE, "caseId"),
        "ConsentPayload": same(EVERYONE, "consent"),
        "LegalRequestPayload": same(EVERYONE, "legalRequest"),
        "PolicyVersionPayload": same(EVERYONE, "policyVersion"),
        # Reached only through roots `authz/roots.py` gives to one kind of caller: a domain
        # (its admins), a partner's contacts (that partner), a legal request (compliance, or
        # the authority it binds). Accounts inside are decided per field as anywhere else.
        "Domain": same(EVERYONE, "id", "name", "members", "domainStats", "auditLog"),
        # The domain's record of its admins' acts; the accounts inside are decided per field.
        "AdminAction": same(EVERYONE, "id", "action", "outcome", "at", "actor", "account"),
        "DomainStats": same(EVERYONE, "members", "active", "suspended", "blocked", "appsInstalled"),
        "AccountConnection": same(EVERYONE, "edges", "pageInfo"),
        "AccountEdge": same(EVERYONE, "cursor", "node"),
        "PartnerContact": same(
            EVERYONE, "consentFields", "purpose", "grantedAt", "expiresAt", "account", "cursor"
        ),
        "LegalRequest": same(
            EVERYONE,
            "id",
            "type",
            "legalBasis",
            "authority",
            "subjects",
            "fields",
            "status",
            "registeredAt",
            "expiresAt",
            "closedAt",
        ),
        # Aggregates without identifiers, every group under k suppressed (`authz.aggregates`).
        "UsageTrend": same(
            EVERYONE, "period", "since", "until", "signUps", "activeAccounts", "contentCreated"
        ),
        "KindCount": same(EVERYONE, "kind", "count"),
        "AdAudience": same(EVERYONE, "interest", "accounts", "suppressed"),
        # Public by the SPEC: no subjects, only numbers per type; and the policy itself.
        "TransparencyReport": same(EVERYONE, "period", "since", "until", "requests"),
        "TypeCount": same(EVERYONE, "type", "requests"),
        "PolicyVersion": same(
            EVERYONE, "version", "summary", "reason", "publishedAt", "notifiedAccounts"
        ),
    }
)

#: A consent may name a purpose instead of fields; the purpose then stands for these fields.
PURPOSE_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "contact": frozenset({"email", "phone"}),
        "delivery": frozenset({"address", "phone"}),
        "newsletter": frozenset({"email"}),
    }
)
