"""Building blocks for hand-made tokens, shared by the token and the hostile-input suites."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from gateway.settings import Settings


def segment(data: dict[str, Any]) -> str:
    """One JWT segment, as base64url without padding."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token_claims(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    """Valid claims of alice's user token for `settings`; an override of `None` drops a claim."""
    settings = settings or Settings()
    now = int(time.time())
    values = {
        "kind": "user",
        "sub": "acct-alice",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return {k: v for k, v in values.items() if v is not None}
