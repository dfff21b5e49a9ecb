"""Vendor GraphiQL and React into gateway/static/graphiql/, so the IDE works offline.

Run once when upgrading (needs `npm`, which only fetches the published packages):

    .venv/bin/python tools/vendor_graphiql.py

A clone then serves the IDE with no network and no npm. The stylesheet's embedded fonts and
images (`url(data:…)`) become files beside it, so the page's CSP can allow only `'self'`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGES = {"graphiql": "3.8.3", "react": "18.2.0", "react-dom": "18.2.0"}
#: (package, file in the package, name here)
FILES = (
    ("react", "umd/react.production.min.js", "react.production.min.js"),
    ("react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"),
    ("graphiql", "graphiql.min.js", "graphiql.min.js"),
)
TARGET = Path(__file__).resolve().parents[1] / "gateway" / "static" / "graphiql"
_DATA_URL = re.compile(r"url\(data:(?P<type>[a-z]+/(?P<ext>[a-z0-9]+));base64,(?P<data>[^)]+)\)")
_SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$|/\*# sourceMappingURL=\S+ \*/\s*$")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        subprocess.run(["npm", "pack", "--silent", *specs], cwd=work, check=True)
        unpacked = {}
        for name, version in PACKAGES.items():
            with tarfile.open(work / f"{name}-{version}.tgz") as archive:
                archive.extractall(work / name, filter="data")
            unpacked[name] = work / name / "package"
        shutil.rmtree(TARGET / "assets", ignore_errors=True)
        (TARGET / "assets").mkdir(parents=True)
        for package, source, name in FILES:
            text = (unpacked[package] / source).read_text()
            (TARGET / name).write_text(_SOURCE_MAP.sub("\n", text))
        css = (unpacked["graphiql"] / "graphiql.min.css").read_text()
        css = _SOURCE_MAP.sub("\n", _DATA_URL.sub(_as_file, css))
        (TARGET / "graphiql.min.css").write_text(css)
        for name, folder in unpacked.items():
            shutil.copyfile(folder / "LICENSE", TARGET / f"LICENSE.{name}")


def _as_file(match: re.Match[str]) -> str:
    """An embedded font or image written to assets/, named by its content."""
    content = base64.b64decode(match["data"])
    name = f"{hashlib.sha256(content).hexdigest()[:16]}.{match['ext']}"
    (TARGET / "assets" / name).write_bytes(content)
    return f"url(assets/{name})"


if __name__ == "__main__":
    main()
