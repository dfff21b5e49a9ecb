"""What every resolver of one request shares: the caller, their standings, the loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from graphql import GraphQLError
from pymongo.asynchronous.database import AsyncDatabase
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from authz.disclosures import DisclosureLog
from authz.principals import Principal
from authz.relations import Standing
from authz.standing import Standings
from authz.tokens import TokenIssuer, TokenRejected
from resolvers.disclosures import DisclosureWriter
from resolvers.facts import MongoFacts
from resolvers.pagination import CursorSeal
from schema.enforcement.guard import Guarded
from schema.enforcement.selection import Selected, selected_below
from schema.protections.errors import UNAUTHENTICATED_MESSAGE, ErrorCode, client_error
from schema.protections.security import security_event
from schema.protections.throttle import RateLimiter, retry_after


@dataclass(frozen=True, slots=True)
class Client:
    """What the transport knows of the caller besides the token."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How sign-in issues tokens and resists guessing.

    `issuer` is `None` where an identity provider issues tokens. `sign_in_limiter` limits
    sign-in attempts per client address; the lockout limits failures per username and address.
    """

    issuer: TokenIssuer | None = None
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)
    sign_in_limiter: RateLimiter | None = None
    lockout_threshold: int = 5
    lockout_base: timedelta = timedelta(minutes=1)
    lockout_longest: timedelta = timedelta(minutes=15)
    #: The key list cursors are sealed with; a served gateway passes one every replica shares.
    cursors: CursorSeal = field(default_factory=CursorSeal.random)


class Context:
    """Created once per request, so no standing, decision or loaded row outlives it."""

    def __init__(
        self,
        principal: Principal,
        db: AsyncDatabase[Any],
        *,
        client: Client | None = None,
        sessions: SessionPolicy | None = None,
        response: Any = None,
        reject_mode: bool = False,
        reauthenticate: Callable[[], Awaitable[Principal]] | None = None,
        records: DisclosureWriter | None = None,
    ) -> None:
        self.principal = principal
        self.reauthenticate = reauthenticate
        #: Whether a write of this operation has begun: the next one lets the caller in anew.
        self.wrote = False
        self.db = db
        self.client = client or Client()
        self.sessions = sessions or SessionPolicy()
        self.response = response
        self.reject_mode = reject_mode
        #: Set when the operation's answer was refused or withheld: nothing of it may be kept.
        self.discarded = False
        #: Set when the operation's enclosing transaction (reject mode) lost a write conflict:
        #: it kept nothing, so it may run again whole, on a fresh context.
        self.conflicted = False
        self.now = datetime.now(UTC)
        #: Where the disclosure records go: the app's one writer, which groups concurrent
        #: operations' records into one insert; a writer of its own otherwise.
        self.records = records or DisclosureWriter(db)
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    @cached_property
    def standings(self) -> Standings:
        """Built when a field first needs one: `{ __typename }` and refusals never do."""
        return Standings(self.principal, MongoFacts(self.db), self.now)

    @cached_property
    def disclosures(self) -> DisclosureLog:
        return DisclosureLog(self.principal)

    def for_operation(self) -> Context:
        """A fresh context for one operation of a batch: only the caller and transport are shared.

        Operations of a batch are decided and recorded apart (SPEC §8), so none may see another's
        selections, standings, loaded rows, disclosure log or reject state.
        """
        return Context(
            self.principal,
            self.db,
            client=self.client,
            sessions=self.sessions,
            response=self.response,
            reject_mode=self.reject_mode,
            reauthenticate=self.reauthenticate,
            records=self.records,
        )

    async def still_signed_in(self, coordinate: str) -> None:
        """UNAUTHENTICATED if the caller's token no longer stands: an earlier write of the
        operation (or another request meanwhile) signed it out, blocked or reset its account."""
        if self.reauthenticate is None:
            return
        try:
            await self.reauthenticate()
        except TokenRejected:
            raise client_error(
                ErrorCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE, coordinate=coordinate
            ) from None

    def loader(
        self, key: Hashable, make: Callable[[], DataLoader[Any, Any]]
    ) -> DataLoader[Any, Any]:
        """The request's one loader for `key`, so equal lookups anywhere in the query batch."""
        if key not in self._loaders:
            self._loaders[key] = make()
        return self._loaders[key]

    def selected(self, info: StrawberryInfo[Any, Any]) -> Selected:
        """What the query selects below the current field (`selection.selected_below`)."""
        return selected_below(info)

    def guard(self, doc: dict[str, Any], type_name: str, subject: str, standing: Standing) -> Any:
        """A document as the caller may see it. Typed `Any`: it stands in for a Strawberry type."""
        return Guarded(doc, type_name, subject, standing, self.disclosures)

    def too_many(self, wait: float, what: str) -> GraphQLError:
        """A 429 answer (with `Retry-After`) for this request, as the error to raise."""
        seconds = retry_after(wait)
        if self.response is not None:
            self.response.status_code = 429
            self.response.headers["Retry-After"] = str(seconds)
        security_event("rate_limited", what, self.principal, client=self.client.ip)
        return client_error(
            ErrorCode.RATE_LIMITED, f"Too many {what}; retry in {seconds} s.", retryAfter=seconds
        )


Info = StrawberryInfo[Context, None]
