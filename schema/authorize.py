"""Enforcement for writes, wired into Strawberry once: every mutation is decided by the table.

`AuthorizeWrite` runs before each mutation's resolver: it finds the write's subject (the
`accountId` of the input, else the caller's own account), reads what the decision needs (the
subject's domain and rights limits) and asks `authz.writes.decide_write`. A refused write never
reaches its resolver, so it changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from authz.decisions import Decision
from authz.writes import WRITES, decide_write
from resolvers.accounts import accounts_by_id
from schema.context import Context
from schema.errors import ErrorCode, client_error, unauthenticated


async def authorize_write(context: Context, mutation: str, subject: str | None = None) -> Decision:
    """The decision for `mutation` by the context's caller, or UNAUTHENTICATED / FORBIDDEN."""
    principal = context.principal
    rule = WRITES.get(mutation)
    held: frozenset[Any] = frozenset()
    limits: dict[str, bool] = {}
    if rule is not None and rule.has_subject:
        if not principal.signed_in or principal.id is None:
            raise unauthenticated()
        subject = subject or principal.id
        found = await accounts_by_id(context.db, [subject], ["domain", "rights_limits"])
        account = found.get(subject)
        if account is not None:
            in_domain = account.get("domain") in principal.domains
            await context.standings.load([subject])
            held = context.standings.of(subject, in_domain=in_domain, viewer=False).held
            limits = account.get("rights_limits") or {}
    decision = decide_write(mutation, principal.kind, held, limits)
    if not decision.allowed:
        raise client_error(
            ErrorCode.FORBIDDEN,
            f"Not allowed to {mutation}: {decision.reason}.",
            coordinate=decision.coordinate,
        )
    return decision


class AuthorizeWrite(FieldExtension):
    """Decide a mutation before its resolver runs; attached to every mutation field."""

    def apply(self, field: StrawberryField) -> None:
        self.mutation = field.graphql_name or to_camel_case(field.python_name)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        subject = getattr(kwargs.get("input"), "account_id", None)
        await authorize_write(info.context, self.mutation, str(subject) if subject else None)
        return await next_(source, info, **kwargs)


def authorize_mutations(mutation_type: type[Any]) -> None:
    for field in mutation_type.__strawberry_definition__.fields:
        if not any(isinstance(e, AuthorizeWrite) for e in field.extensions):
            field.extensions.append(AuthorizeWrite())
