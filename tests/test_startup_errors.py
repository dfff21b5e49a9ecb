"""Every expected configuration mistake stops a command with one line saying what to fix (and
exit status 1), never a traceback: run as a real process, as an operator would."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.client import signing_key_file
from tests.processes import free_port, run_cli


def _jwks_hint(path: Path, reason: str) -> str:
    return (
        f"IMOOX_JWKS_FILE {path} cannot be used: {reason}. It must be the identity provider's"
        " JWKS, a JSON object with a `keys` list (docs/identity.md)."
    )


def _fails_with(result_args: tuple[str, ...], env: dict[str, str], line: str) -> None:
    result = run_cli(*result_args, env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == line


@pytest.fixture
def serve_args(tmp_path: Path) -> tuple[str, ...]:
    return ("serve", "--port", str(free_port()), "--data-dir", str(tmp_path))


def test_production_without_keys(serve_args: tuple[str, ...]) -> None:
    _fails_with(
        serve_args,
        {"IMOOX_ENV": "production"},
        "Production needs IMOOX_JWKS_FILE, IMOOX_JWKS_URL or IMOOX_SIGNING_KEY_FILE"
        " (docs/identity.md).",
    )


def test_production_stops_before_starting_a_database(serve_args: tuple[str, ...]) -> None:
    result = run_cli(*serve_args, env={"IMOOX_ENV": "production"})
    assert "embedded database started" not in result.stderr


def test_a_signing_key_file_that_is_no_key(serve_args: tuple[str, ...], tmp_path: Path) -> None:
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello\n")
    result = run_cli(*serve_args, env={"IMOOX_SIGNING_KEY_FILE": str(not_a_key)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"IMOOX_SIGNING_KEY_FILE {not_a_key} cannot be used: Unable to load PEM")
    assert last.endswith(
        "It must be an unencrypted Ed25519 or P-256 private key in PEM (docs/identity.md)."
    )


def test_a_missing_signing_key_file(serve_args: tuple[str, ...], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    _fails_with(
        serve_args,
        {"IMOOX_SIGNING_KEY_FILE": str(missing)},
        f"IMOOX_SIGNING_KEY_FILE {missing} cannot be used: No such file or directory. It must be"
        " an unencrypted Ed25519 or P-256 private key in PEM (docs/identity.md).",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        (
            "{not json",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        ('{"issuer": "x"}', "it has no `keys` list"),
    ],
    ids=["missing", "not JSON", "no keys list"],
)
def test_an_unusable_jwks_file(
    serve_args: tuple[str, ...], tmp_path: Path, content: str | None, reason: str
) -> None:
    jwks = tmp_path / "jwks.json"
    if content is not None:
        jwks.write_text(content)
    _fails_with(serve_args, {"IMOOX_JWKS_FILE": str(jwks)}, _jwks_hint(jwks, reason))


def test_a_jwks_file_without_a_usable_key(serve_args: tuple[str, ...], tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(
        '{"keys": [{"kty": "RSA", "kid": "r", "alg": "RS256", "n": "sXch", "e": "AQAB"}]}'
    )
    _fails_with(
        serve_args,
        {"IMOOX_JWKS_FILE": str(jwks)},
        f"IMOOX_JWKS_FILE {jwks} holds no EdDSA or ES256 signing key with a `kid`"
        " (docs/identity.md).",
    )


def test_a_jwks_url_that_is_no_http_url(serve_args: tuple[str, ...]) -> None:
    _fails_with(
        serve_args,
        {"IMOOX_JWKS_URL": "sso.example.org/realms/imoox/certs"},
        "IMOOX_JWKS_URL sso.example.org/realms/imoox/certs is not an http(s) URL: set it to the"
        " identity provider's JWKS endpoint (docs/identity.md).",
    )


@pytest.mark.parametrize("command", ["serve", "seed"])
def test_a_mongodb_uri_that_is_no_uri(command: str, tmp_path: Path) -> None:
    args = ("serve", "--port", str(free_port())) if command == "serve" else ("seed", "--demo")
    _fails_with(
        (*args, "--data-dir", str(tmp_path)),
        {"MONGODB_URI": "postgres://user:secret@db.example/imoox"},
        "MONGODB_URI is not a MongoDB connection string: Invalid URI scheme: URI must begin with"
        " 'mongodb://' or 'mongodb+srv://'",
    )


@pytest.mark.parametrize("command", ["serve", "seed"])
def test_a_database_that_does_not_answer(command: str, tmp_path: Path) -> None:
    """The line names the host and port, never the URI's password."""
    port = free_port()
    args = ("serve", "--port", str(free_port())) if command == "serve" else ("seed", "--demo")
    result = run_cli(
        *args,
        "--data-dir",
        str(tmp_path),
        env={
            "MONGODB_URI": f"mongodb://user:hunter2@127.0.0.1:{port}/?directConnection=true",
            "IMOOX_DATABASE_TIMEOUT_SECONDS": "1",
        },
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Cannot use the database at 127.0.0.1:{port} (MONGODB_URI): no answer within 1 s;"
        " check that it runs, and the URI's host and port."
    )


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "embedded database started" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Cannot listen on 127.0.0.1:{port}: Address already in use."
    )


@pytest.mark.parametrize(
    ("command", "env", "line"),
    [
        (
            ("serve",),
            {"IMOOX_WORKERS": "many"},
            "Invalid setting IMOOX_WORKERS: Input should be a valid integer, unable to parse"
            " string as an integer. Fix the environment variable or option and start again.",
        ),
        (
            ("seed", "--demo"),
            {"IMOOX_CURSOR_SECRET": "too-short-and-secret"},
            "Invalid setting IMOOX_CURSOR_SECRET: Value should have at least 32 items after"
            " validation, not 20. Fix the environment variable or option and start again.",
        ),
        (
            ("token", "--as", "alice"),
            {"IMOOX_ENV": "staging"},
            "Invalid setting IMOOX_ENV: Input should be 'development' or 'production'. Fix the"
            " environment variable or option and start again.",
        ),
    ],
    ids=["serve", "seed", "token"],
)
def test_an_invalid_setting(
    command: tuple[str, ...], env: dict[str, str], line: str, tmp_path: Path
) -> None:
    """Named by its variable, without its value (which may be a secret)."""
    result = run_cli(*command, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "too-short-and-secret" not in result.stderr
    assert result.stderr.splitlines()[-1] == line


def test_a_jwks_url_is_named_without_its_password(serve_args: tuple[str, ...]) -> None:
    _fails_with(
        serve_args,
        {"IMOOX_JWKS_URL": "ftp://u:S3cretPassw0rd@sso.example.org/certs"},
        "IMOOX_JWKS_URL ftp://sso.example.org/certs is not an http(s) URL: set it to the"
        " identity provider's JWKS endpoint (docs/identity.md).",
    )


def test_production_needs_its_public_address(serve_args: tuple[str, ...], tmp_path: Path) -> None:
    """Unset, canonical links, robots.txt and sitemaps named the Host a request carried."""
    key = signing_key_file(tmp_path)
    _fails_with(
        serve_args,
        {
            "IMOOX_ENV": "production",
            "IMOOX_SIGNING_KEY_FILE": str(key),
            "IMOOX_CURSOR_SECRET": "c" * 40,
        },
        "Production needs IMOOX_PUBLIC_BASE_URL (e.g. https://imoox.example): public pages"
        " and sitemaps must not name whatever Host a client sends.",
    )
