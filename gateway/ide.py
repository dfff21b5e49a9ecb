"""The development IDE: GraphiQL from the gateway's own files, so it works offline.

Strawberry's page loads React and GraphiQL from a CDN ("Loading…" forever without internet)
and boots them with an inline script. Ours loads the copies vendored under
`static/graphiql/` (tools/vendor_graphiql.py) and boots them from `boot.js`, so its CSP allows
only `'self'`. Production serves neither the page nor its files.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
#: Where the page's scripts, styles, fonts and images are served (relative to `/graphql`).
ASSETS_PATH = "/graphiql"
IDE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self';"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'"
)
_PAGE = (STATIC / "ide.html").read_bytes()


def ide_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": IDE_CSP})


def ide_assets() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC / "graphiql"))
