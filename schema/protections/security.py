"""The security log: every refused token, FORBIDDEN and limit hit, with who and which request.

One structured log line per event (logger `imoox.security`) and one Prometheus counter by
event and reason, so an operator can alert on a surge without reading logs.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from prometheus_client import Counter

from authz.principals import Principal

log = logging.getLogger("imoox.security")

#: Set by the gateway for each HTTP request; in every security line and masked error.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

SECURITY_EVENTS = Counter(
    "imoox_security_events_total",
    "Refused tokens, FORBIDDEN decisions and limit hits, by event and reason.",
    ["event", "reason"],
)


def security_event(
    event: str, reason: str, principal: Principal | None = None, **details: Any
) -> None:
    SECURITY_EVENTS.labels(event=event, reason=reason).inc()
    log.warning(
        event,
        extra={
            "event": event,
            "reason": reason,
            "request_id": REQUEST_ID.get(),
            "principal_kind": principal.kind.value if principal else None,
            "principal_id": principal.id if principal else None,
            **details,
        },
    )
