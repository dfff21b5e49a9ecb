"""Enforcement for entry points, wired into Strawberry once: root fields and mutations.

`AuthorizeRoot` runs before each root query field and asks `authz.roots.decide_root`: a
synchronous decision from the token alone. `AuthorizeWrite` runs before each mutation's
resolver: it finds the write's subject (the account its input names as a `WriteSubject`, else
the caller's own account), reads what the decision needs (the subject's domain and rights
limits) and asks `authz.writes.decide_write`. A refused write never reaches its resolver: it
changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from authz.decisions import Decision
from authz.grants import Rule
from authz.principals import Principal
from authz.relations import Relation, Standing
from authz.roots import decide_root
from authz.writes import WRITES, decide_write
from resolvers.admin import audit_attempt, audit_outcome
from schema.enforcement.context import Context
from schema.enforcement.loading import standing_toward
from schema.enforcement.subjects import NamesOwned, WriteSubject
from schema.observability import tally
from schema.protections.errors import ErrorCode, client_error, unauthenticated


@dataclass(frozen=True, slots=True)
class WriteGrant:
    decision: Decision
    subject: str | None = None
    standing: Standing | None = None
    #: The subject's domain when the write was decided: its admins' audit lists the write.
    domain: str | None = None


async def authorize_write(
    context: Context,
    mutation: str,
    subject: str | None = None,
    unseen: Callable[[], Exception] | None = None,
) -> WriteGrant:
    """The grant for `mutation` by the context's caller, or UNAUTHENTICATED / FORBIDDEN.

    `unseen` is for writes about a thing someone owns: a caller who holds no relation the
    write needs toward its owner gets the error a missing thing gets, so ids cannot be probed.
    """
    principal = context.principal
    rule = WRITES.get(mutation)
    held: frozenset[Any] = frozenset()
    limits: dict[str, bool] = {}
    standing = None
    domain = None
    if rule is not None and rule.has_subject and principal.id is not None:
        subject = principal.id if subject is None else subject
        toward, account = await standing_toward(context, subject, "rights_limits", viewer=False)
        if account is not None:
            standing = toward
            held = standing.held
            limits = account.get("rights_limits") or {}
            domain = account.get("domain")
    decision = decide_write(mutation, principal.kind, held, limits)
    if unseen is not None and decision.relation is None and principal.signed_in:
        raise unseen()
    return WriteGrant(enforce(decision, principal, mutation), subject, standing, domain)


async def perform_recorded(
    context: Context, grant: WriteGrant, write: Callable[[], Awaitable[Any]]
) -> Any:
    """Run a write; one on someone else's account under a third-party relation is audited
    (the attempt before it, the outcome after) and disclosed with the response.
    """
    decision, subject, standing = grant.decision, grant.subject, grant.standing
    if not decision.recorded or subject is None or standing is None:
        return await write()
    principal = context.principal
    entry = await audit_attempt(
        context.db,
        actor_kind=principal.kind.value,
        actor=principal.id,
        action=decision.coordinate,
        subject=subject,
        relation=str(decision.relation),
        at=context.now,
        domain=grant.domain,
    )
    try:
        result = await write()
    except Exception:
        await audit_outcome(context.db, entry, "FAILED")
        raise
    await audit_outcome(context.db, entry, "DONE")
    context.disclosures.note(subject, decision, standing, write=True)
    return result


def enforce(decision: Decision, principal: Principal, action: str) -> Decision:
    """The decision if allowed; otherwise UNAUTHENTICATED for anonymous callers, or FORBIDDEN."""
    tally().decided(decision)
    if decision.allowed:
        return decision
    if not principal.signed_in:
        raise unauthenticated(decision.coordinate)
    raise client_error(
        ErrorCode.FORBIDDEN,
        f"Not allowed to {action}: {decision.reason}.",
        coordinate=decision.coordinate,
    )


class AuthorizeRoot(FieldExtension):
    """Decide a root query field from the token before its resolver runs."""

    def apply(self, field: StrawberryField) -> None:
        self.root = field.graphql_name or to_camel_case(field.python_name)

    def check(self, info: Any, kwargs: dict[str, Any]) -> None:
        principal = info.context.principal
        argument = kwargs.get("id")
        decision = decide_root(self.root, principal, str(argument) if argument else None)
        enforce(decision, principal, f"read {self.root}")

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        self.check(info, kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        self.check(info, kwargs)
        return await next_(source, info, **kwargs)


class AuthorizeWrite(FieldExtension):
    """Decide a mutation before its resolver runs; attached to every mutation field."""

    def apply(self, field: StrawberryField) -> None:
        self.mutation = field.graphql_name or to_camel_case(field.python_name)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        context = info.context
        if context.wrote:
            await context.still_signed_in(f"Mutation.{self.mutation}")
        context.wrote = True
        grant = await authorize_input(context, self.mutation, kwargs.get("input"))
        return await perform_recorded(context, grant, lambda: next_(source, info, **kwargs))


async def authorize_input(context: Context, mutation: str, input_: Any) -> WriteGrant:
    """The grant for `mutation` given its `input`: about the account the input names as a
    `WriteSubject`, else about the caller's own.

    A `NamesOwned` input names a thing by id: a missing thing is decided as if it were the
    caller's own, so a missing id and another person's do the same reads (no timing tells
    them apart), and both answer the input's `unseen()` error.
    """
    if not isinstance(input_, WriteSubject):
        return await authorize_write(context, mutation)
    subject = await input_.locate_subject(context.db)
    if not isinstance(input_, NamesOwned):
        return await authorize_write(context, mutation, subject)
    grant = await authorize_write(context, mutation, subject, input_.unseen)
    if subject is None and context.principal.signed_in:
        raise input_.unseen()
    return grant


def authorize_entry_points(query: type[Any], mutation: type[Any]) -> None:
    """Attach the root and write checks to every field of the root types, once; refuse a
    mutation whose input does not name the subject its rule decides by."""
    for root_type, extension in ((query, AuthorizeRoot), (mutation, AuthorizeWrite)):
        for field in root_type.__strawberry_definition__.fields:
            if not any(isinstance(e, extension) for e in field.extensions):
                field.extensions.append(extension())
    if problems := unnamed_subjects(mutation):
        raise TypeError("; ".join(problems))


def unnamed_subjects(mutation: type[Any]) -> list[str]:
    """Mutations whose input and write rule disagree about the subject, as sentences.

    A rule granted to a relation besides SELF needs its input to name the account (else the
    caller's own would be decided, and an admin could hold a relation toward herself); an
    input naming a subject that a rule by caller kind never reads is a mistake too.
    """
    problems = []
    for field in mutation.__strawberry_definition__.fields:
        name = field.graphql_name or to_camel_case(field.python_name)
        rule = WRITES.get(name)
        if rule is None:
            continue  # denied to everyone; `policy check` names it
        names = _names_subject(field)
        if _needs_named_subject(rule) and not names:
            problems.append(f"Mutation.{name} is decided toward a subject its input does not name")
        if names and not rule.has_subject:
            problems.append(f"Mutation.{name} names a subject its rule (by caller) never reads")
    return problems


def _needs_named_subject(rule: Rule) -> bool:
    relations = {grant.relation for grant in rule.grants if grant.relation is not None}
    return relations not in (set(), {Relation.SELF})


def _names_subject(field: StrawberryField) -> bool:
    input_ = next((a for a in field.arguments if a.python_name == "input"), None)
    input_type = getattr(input_.type, "of_type", input_.type) if input_ else None
    return isinstance(input_type, type) and issubclass(input_type, WriteSubject)
