"""Batches of 2 to 5 operations mixing principals' subjects, and the same sent concurrently.

Each batch is judged by the oracle (`tests/oracle/oracle.py`) per operation, in filter and in
reject mode: nothing denied is returned, and each returned non-public value has exactly one
disclosure record per operation that returned it. Concurrent requests are judged the same
way, each principal's records against what that principal's requests returned.
"""

from __future__ import annotations

import pytest

from tests.oracle.documents import Operation, Request, Sel, leaf
from tests.oracle.harness import Lab, concurrently, replay


def account(subject: str, *fields: str | Sel, alias: str = "a") -> Sel:
    parts = tuple(Sel(f) if isinstance(f, str) else f for f in fields)
    return Sel("account", alias=alias, args=f'id: "{subject}"', sub=(Sel("id"), *parts))


def query(*roots: Sel) -> Operation:
    return Operation("query", roots)


def batch(principal: str, *operations: Operation, reject: bool = False) -> Request:
    return Request(principal, reject, operations, batch=True)


SETTINGS = Sel("settings", sub=leaf("language", "profileVisibility"))
BILLING = Sel("billing", sub=leaf("iban"))
CASES = Sel("supportCases", sub=(Sel("id"), Sel("status")))
FEED = Sel(
    "publicFeed",
    alias="feed",
    args="first: 8",
    sub=(
        Sel(
            "edges",
            sub=(Sel("node", sub=(Sel("id"), Sel("author", sub=leaf("id", "email", "phone")))),),
        ),
    ),
)
CONTACTS = Sel(
    "partnerContacts", sub=(Sel("consentFields"), Sel("account", sub=leaf("id", "phone", "email")))
)
MEMBERS = Sel(
    "domain",
    args='id: "uni-graz"',
    sub=(
        Sel("id"),
        Sel(
            "members",
            args="first: 5",
            sub=(Sel("edges", sub=(Sel("node", sub=(*leaf("id", "email", "phone"), SETTINGS)),)),),
        ),
    ),
)

BATCHES = {
    # dora administers alice and bob (uni-graz), not carol; operations overlap on alice.
    "dora": batch(
        "dora",
        query(account("acct-alice", "email", "username")),
        query(
            account("acct-bob", "email", "phone", SETTINGS),
            account("acct-alice", "status", alias="b"),
        ),
        query(account("acct-carol", "email"), FEED),
        query(MEMBERS),
        query(account("acct-alice", "email", BILLING)),
    ),
    # police-graz's request names bob's email and phone only.
    "police-graz": batch(
        "police-graz",
        query(account("acct-bob", "email", "phone")),
        query(account("acct-bob", "username", "email")),
        query(account("acct-alice", "email"), account("acct-bob", "phone", alias="b")),
    ),
    # helpdesk-co handles alice's open case; bob has none.
    "helpdesk-co": batch(
        "helpdesk-co",
        query(account("acct-alice", "email", "status", CASES)),
        query(Sel("supportCases", sub=(Sel("id"), Sel("account", sub=leaf("id", "username"))))),
        query(account("acct-bob", "email"), account("acct-alice", "phone", alias="b")),
    ),
    # flowershop holds alice's phone by her action, and nothing else of anyone.
    "flowershop": batch(
        "flowershop",
        query(account("acct-alice", "phone")),
        query(CONTACTS, account("acct-alice", "email", alias="b")),
        query(account("acct-bob", "phone"), FEED),
        query(CONTACTS),
    ),
    # alice reads herself and others; nothing of hers is a disclosure, nothing of theirs shown.
    "alice": batch(
        "alice",
        query(Sel("me", sub=(Sel("id"), Sel("email"), BILLING))),
        query(account("acct-bob", "email", "phone"), account("acct-alice", "phone", alias="b")),
    ),
}


@pytest.mark.parametrize("reject", [False, True], ids=["filter", "reject"])
@pytest.mark.parametrize("principal", sorted(BATCHES))
async def test_a_batch_mixing_subjects_is_judged_per_operation(
    lab: Lab, principal: str, reject: bool
) -> None:
    request = BATCHES[principal]
    problems = await replay(lab, Request(principal, reject, request.operations, batch=True))
    assert not problems, "\n".join(problems)


def _with_writes(reject: bool) -> Request:
    """dora limits bob's rights between reads of alice and bob; in reject mode the write whose
    payload selects bob's billing is refused and undone, the others stand."""
    payload = Sel("account", sub=leaf("id", "email"))
    denied_payload = Sel("account", sub=(Sel("id"), BILLING))
    limit = 'input: {accountId: "acct-bob", edit: true}'
    return Request(
        "dora",
        reject,
        (
            query(account("acct-bob", "email", Sel("rightsLimits", sub=leaf("edit")))),
            Operation("mutation", (Sel("limitRights", alias="w", args=limit, sub=(payload,)),)),
            Operation(
                "mutation", (Sel("limitRights", alias="w", args=limit, sub=(denied_payload,)),)
            ),
            query(account("acct-alice", "email"), account("acct-bob", "username", alias="b")),
        ),
        batch=True,
    )


@pytest.mark.parametrize("reject", [False, True], ids=["filter", "reject"])
async def test_a_batch_with_writes_records_each_write_once(lab: Lab, reject: bool) -> None:
    problems = await replay(lab, _with_writes(reject))
    assert not problems, "\n".join(problems)


async def test_the_same_batches_sent_concurrently(lab: Lab) -> None:
    requests = [
        Request(principal, reject, request.operations, batch=True)
        for request in BATCHES.values()
        for principal in [request.principal]
        if principal is not None
        for reject in (False, True)
    ]
    problems = await concurrently(lab, requests + requests)
    assert not problems, "\n".join(problems)
