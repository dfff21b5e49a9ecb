"""Enforcement for entry points, wired into Strawberry once: root fields and mutations.

`AuthorizeRoot` runs before each root query field and asks `authz.roots.decide_root`: a
synchronous decision from the token alone. `AuthorizeWrite` runs before each mutation's
resolver: it finds the write's subject (the `accountId` of the input, the owner of the thing
an `Owned` input names, else the caller's own account), reads what the decision needs (the
subject's domain and rights limits) and asks `authz.writes.decide_write`. A refused write
never reaches its resolver: it changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from authz.decisions import Decision
from authz.principals import Principal
from authz.relations import Standing
from authz.roots import decide_root
from authz.writes import WRITES, decide_write
from resolvers.admin import audit_attempt, audit_outcome
from schema.enforcement.context import Context
from schema.enforcement.loading import standing_toward
from schema.observability import tally
from schema.owned import Owned
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
        subject = subject or principal.id
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
    """The grant for `mutation` given its `input`: about the account the input names.

    An `Owned` input names a thing by id: a missing thing is decided as if it were the
    caller's own, so a missing id and another person's do the same reads (no timing tells
    them apart), and both answer the input's `unseen()` error.
    """
    if not isinstance(input_, Owned):
        account = getattr(input_, "account_id", None)
        return await authorize_write(context, mutation, str(account) if account else None)
    owner = await input_.locate_subject(context.db)
    grant = await authorize_write(context, mutation, owner, input_.unseen)
    if owner is None and context.principal.signed_in:
        raise input_.unseen()
    return grant


def authorize_entry_points(query: type[Any], mutation: type[Any]) -> None:
    """Attach the root and write checks to every field of the root types, once."""
    for root_type, extension in ((query, AuthorizeRoot), (mutation, AuthorizeWrite)):
        for field in root_type.__strawberry_definition__.fields:
            if not any(isinstance(e, extension) for e in field.extensions):
                field.extensions.append(extension())
