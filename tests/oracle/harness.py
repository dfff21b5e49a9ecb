"""Sends the oracle's requests to the gateway and judges them; resets the demo world after writes.

One seeded database per test function: its state after seeding is the baseline, and every
collection a request changed is put back before the next request, so each request is judged
against the demo world of SPEC §9. Disclosure records are cleared before each request, so the
records present after it are exactly the ones it caused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import BOOKKEEPING
from resolvers.demo_world import DEMO_PRINCIPALS
from tests import disclosure_records
from tests.oracle.documents import Request
from tests.oracle.oracle import Verdict, World, check_operation, check_records

#: Collections the oracle looks documents up in.
LOOKUPS = ("accounts", "content", "support_cases", "consents")


async def fingerprint(db: AsyncDatabase[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection but the records and the gateway's own bookkeeping
    (standing marks and shared rate counts change every 250 ms, whatever a request does; job
    leases come and go with jobs): what "nothing written" means."""
    names = sorted(set(await db.list_collection_names()) - {"disclosures", *BOOKKEEPING})
    docs = await asyncio.gather(*(db[name].find().sort("_id", 1).to_list() for name in names))
    return dict(zip(names, docs, strict=True))


def by_id(docs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {name: {d["_id"]: d for d in docs.get(name, [])} for name in LOOKUPS}


@dataclass
class Outcome:
    answers: list[dict[str, Any]]
    records: list[dict[str, Any]]
    changed: bool
    world: World


class Lab:
    """A gateway over one seeded demo database, and the baseline to put it back to."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str], db: AsyncDatabase[Any]):
        self.http = http
        self.tokens = tokens
        self.db = db
        self.baseline: dict[str, list[dict[str, Any]]] = {}

    async def start(self) -> None:
        self.baseline = await fingerprint(self.db)
        await self.db.disclosures.delete_many({})

    async def post(self, request: Request, *, reject: bool) -> list[dict[str, Any]]:
        headers = {"X-Authz-Mode": "reject"} if reject else {}
        if request.principal is not None:
            headers["Authorization"] = f"Bearer {self.tokens[request.principal]}"
        bodies = [{"query": op.render()} for op in request.operations]
        response = await self.http.post(
            "/graphql", json=bodies if request.batch else bodies[0], headers=headers
        )
        assert response.status_code == 200, (request, response.status_code, response.text)
        answer = response.json()
        return answer if request.batch else [answer]

    async def run(self, request: Request, *, reject: bool) -> Outcome:
        """Send, then read what the request left behind (and put the world back)."""
        answers = await self.post(request, reject=reject)
        records = await disclosure_records.records(self.db)
        await self.db.disclosures.delete_many({})
        before = by_id(self.baseline)
        if not request.has_mutation:
            return Outcome(answers, records, False, World(before, before))
        now = await fingerprint(self.db)
        await self.restore(now)
        return Outcome(answers, records, now != self.baseline, World(before, by_id(now)))

    async def restore(self, now: dict[str, list[dict[str, Any]]]) -> None:
        for name, docs in now.items():
            if docs != self.baseline.get(name, []):
                await self.db[name].delete_many({})
                if self.baseline.get(name):
                    await self.db[name].insert_many(self.baseline[name])


def judge(request: Request, outcome: Outcome, *, reject: bool) -> tuple[list[Verdict], list[str]]:
    """Every answer and every record of one request, as the oracle sees them."""
    verdicts, problems = judge_answers(request, outcome.answers, outcome.world, reject=reject)
    problems += check_records(request.principal, verdicts, outcome.records, outcome.world)
    return verdicts, problems


def judge_answers(
    request: Request, answers: list[dict[str, Any]], world: World, *, reject: bool
) -> tuple[list[Verdict], list[str]]:
    """Every answer of one request; a reject-mode refusal returned nothing: it needs no record."""
    verdicts, problems = [], []
    for n, (op, answer) in enumerate(zip(request.operations, answers, strict=True)):
        if reject and rejected(answer):
            verdicts.append(Verdict())
            continue
        verdict = check_operation(request.principal, op, answer, world, reject)
        if reject and verdict.denied:
            verdict.problems.append(f"reject mode answered though it denies {verdict.denied}")
        problems += [f"operation {n} ({op.render()}): {p}" for p in verdict.problems]
        verdicts.append(verdict)
    return verdicts, problems


def rejected(answer: dict[str, Any]) -> bool:
    """Reject mode's refusal: no data and exactly one FORBIDDEN error listing what it denied."""
    errors = answer.get("errors", [])
    return (
        answer.get("data") is None
        and len(errors) == 1
        and errors[0]["extensions"]["code"] == "FORBIDDEN"
        and bool(errors[0]["extensions"].get("denied"))
    )


def denied_coordinates(answer: dict[str, Any]) -> set[str]:
    return {
        e["extensions"].get("coordinate")
        for e in answer.get("errors", [])
        if e["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    }


async def replay(lab: Lab, request: Request) -> list[str]:
    """Judge `request` in the mode it names; a reject-mode refusal is checked to have changed
    and recorded nothing, and to be justified: the same request in filter mode denies the
    coordinates the refusal listed (and may deny more, which a refused write never reached)."""
    problems: list[str] = []
    outcome = await lab.run(request, reject=request.reject)
    _, found = judge(request, outcome, reject=request.reject)
    problems += found
    refusals = [n for n, a in enumerate(outcome.answers) if request.reject and rejected(a)]
    if not refusals:
        return problems
    writers = [n for n, op in enumerate(request.operations) if op.kind == "mutation"]
    if outcome.changed and set(writers) <= set(refusals):
        problems.append("a rejected request changed the database")
    if len(refusals) == len(request.operations) and outcome.records:
        problems.append(f"a rejected request left records: {outcome.records}")
    filtered = await lab.run(request, reject=False)
    verdicts, found = judge(request, filtered, reject=False)
    problems += [f"(filter-mode replay) {p}" for p in found]
    for n in refusals:
        listed = set(outcome.answers[n]["errors"][0]["extensions"]["denied"])
        # Filter mode stops a mutation document at its first refused write; the oracle
        # names the later ones.
        denied = denied_coordinates(filtered.answers[n]) | verdicts[n].denied
        if not listed <= denied:
            problems.append(
                f"operation {n} rejected for {listed}, filter mode denies {denied}: "
                f"{request.operations[n].render()}"
            )
    return problems


async def concurrently(lab: Lab, requests: list[Request]) -> list[str]:
    """Send read-only requests at once; judge each answer, and each principal's records
    against what that principal's requests returned (records name their principal)."""
    assert not any(r.has_mutation for r in requests)
    all_answers = await asyncio.gather(*(lab.post(r, reject=r.reject) for r in requests))
    records = await disclosure_records.records(lab.db)
    await lab.db.disclosures.delete_many({})
    world = World(by_id(lab.baseline), by_id(lab.baseline))
    problems: list[str] = []
    verdicts: dict[str | None, list[Verdict]] = {}
    for request, answers in zip(requests, all_answers, strict=True):
        judged, found = judge_answers(request, answers, world, reject=request.reject)
        verdicts.setdefault(request.principal, []).extend(judged)
        problems += found
    for principal, judged in verdicts.items():
        sub = DEMO_PRINCIPALS[principal]["sub"] if principal else None
        mine = [r for r in records if r["principal_id"] == sub]
        problems += check_records(principal, judged, mine, world)
    if len(records) != sum(
        1
        for p in verdicts
        for r in records
        if r["principal_id"] == DEMO_PRINCIPALS.get(p or "", {}).get("sub")
    ):
        problems.append(f"records naming no caller of these requests: {records}")
    return problems
