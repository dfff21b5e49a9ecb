"""`imoox-gateway`: serve, seed, issue development tokens, inspect the policy."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial, wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec

import typer
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from authz.keys import development_keys
from authz.matrix import render_matrix
from authz.policy import POLICY
from authz.roots import ROOTS
from authz.tokens import TokenIssuer
from authz.writes import WRITES
from gateway.app import check_configuration
from gateway.database import DatabaseUnreachable, database_settings, run_with_database
from gateway.embedded import EmbeddedServerError
from gateway.errors import ConfigurationError
from gateway.logs import configure_logging
from gateway.settings import Settings
from gateway.workers import WorkerStartupError, check_port, env_name
from gateway.workers import serve as serve_workers
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world
from resolvers.rollup_rebuild import Unsettled, rebuild
from resolvers.scale_world import after_load, load_scale_world
from schema import build_schema
from schema.enforcement.coverage import coverage_problems
from schema.protections.persisted import QueryRegistry
from schema.protections.trusted_documents import (
    RefusedOperations,
    add_operations,
    invalid_documents,
    operation_names,
    read_operations,
)
from schema.sdl import UnreadableSchema, changes_since, served_sdl

app = typer.Typer(
    help="The IMOOX privacy gateway: GraphQL with per-field authorization over MongoDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Inspect the policy table (authz/policy.py).", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
rollups_app = typer.Typer(
    help="The rollups and counters aggregates and counts read (resolvers/rollups.py).",
    no_args_is_help=True,
)
app.add_typer(rollups_app, name="rollups")
persisted_app = typer.Typer(
    help="Trusted documents: the operations first-party apps may run"
    " (IMOOX_PERSISTED_QUERIES_FILE, schema/protections/trusted_documents.py).",
    no_args_is_help=True,
)
app.add_typer(persisted_app, name="persisted")
log = logging.getLogger("gateway")
P = ParamSpec("P")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory: embedded database, keys. [default: ./var]",
        envvar="IMOOX_DATA_DIR",
        show_envvar=True,
    ),
]


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in {"data_dir": data_dir, **overrides}.items() if v is not None}
    return Settings(**values)  # type: ignore[arg-type]


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


#: The mistakes a command reports in one line (what to fix), not in a traceback.
EXPECTED = (
    ConfigurationError,
    DatabaseUnreachable,
    EmbeddedServerError,
    Unsettled,
    ValidationError,
    WorkerStartupError,
)


def one_line_errors(command: Callable[P, None]) -> Callable[P, None]:
    """`command`, reporting every expected mistake as one line on stderr and exit status 1."""

    @wraps(command)
    def reporting(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except EXPECTED as error:
            raise _fail(
                invalid_settings(error) if isinstance(error, ValidationError) else str(error)
            ) from None

    return reporting


def invalid_settings(error: ValidationError) -> str:
    """Which settings are invalid and why, by the names they are set by (never their values:
    one may be a secret)."""
    problems = "; ".join(
        f"{env_name(str(problem['loc'][0])) if problem['loc'] else 'settings'}: {problem['msg']}"
        for problem in error.errors()
    )
    return f"Invalid setting {problems}. Fix the environment variable or option and start again."


@app.command()
@one_line_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on. [default: 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on. [default: 8000]")] = None,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option("--demo", help="Seed the demo world first.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes sharing the port and the database. [default: 1]"),
    ] = None,
) -> None:
    """Serve /graphql, /healthz, /readyz and /metrics (embedded database unless MONGODB_URI)."""
    settings = _settings(data_dir, host=host, port=port, workers=workers)
    configure_logging(settings.log_format)
    check_configuration(settings)
    check_port(settings)
    # Until uvicorn installs its own handlers, SIGTERM must unwind (and stop the database) too.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with database_settings(settings, supervise=True) as ready:
        if demo:
            run_with_database(ready, seed_demo_world)
        serve_workers(ready)


@app.command()
@one_line_errors
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo world of SPEC §9.")] = False,
    scale: Annotated[
        int | None,
        typer.Option(
            "--scale",
            min=1,
            help="Also load N generated accounts with their history (implies --demo);"
            " levels nest, so a larger N adds only what is missing.",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Load the demo world, and with --scale a realistic institution on top (idempotent)."""
    if not demo and scale is None:
        raise _fail("Nothing to seed: pass --demo to load the demo world, or --scale N.")
    settings = _settings(data_dir)
    if scale is not None and settings.production:
        raise _fail("`seed --scale` loads made-up people for measurements: not in production.")
    configure_logging(settings.log_format)
    with database_settings(settings) as ready:
        inserted = run_with_database(ready, seed_demo_world)
        typer.echo(f"demo world ready: {sum(inserted.values())} documents inserted", err=True)
        if scale is not None:
            run_with_database(ready, partial(_load_scale, accounts=scale))


def _report(line: str) -> None:
    typer.echo(line, err=True)


async def _load_scale(db: AsyncDatabase[Any], accounts: int) -> None:
    # The generated history ends now (to the second), so feeds and trends see it as recent.
    until = datetime.now(UTC).replace(microsecond=0)
    progress = await load_scale_world(db, accounts, until, _report)
    _report(
        f"scale: {accounts:,} accounts ready: {progress.documents:,} documents inserted"
        f" in {progress.seconds:,.0f} s ({progress.skipped:,} accounts were there already)"
    )
    await after_load(db, _report)


@app.command()
@one_line_errors
def token(
    handle: Annotated[
        str, typer.Option("--as", help="Demo principal: " + ", ".join(DEMO_PRINCIPALS))
    ],
    data_dir: DataDir = None,
    ttl: Annotated[int, typer.Option(min=1, max=7 * 24 * 3600, help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed bearer token for a demo principal (development keys only)."""
    settings = _settings(data_dir)
    if settings.production:
        raise _fail("`token` issues development tokens and is disabled in production.")
    claims = DEMO_PRINCIPALS.get(handle)
    if claims is None:
        raise _fail(
            f"Unknown demo principal {handle!r}; choose one of: " + ", ".join(DEMO_PRINCIPALS)
        )
    signing_key, _ = development_keys(settings.keys_dir)
    issuer = TokenIssuer(signing_key, settings.jwt_issuer, settings.jwt_audience)
    typer.echo(issuer.issue(claims, ttl_seconds=ttl))


@rollups_app.command("rebuild")
@one_line_errors
def rollups_rebuild(data_dir: DataDir = None) -> None:
    """Recount every rollup and counter from the collections, e.g. after a bulk load.

    Idempotent (a second run changes nothing) and resumable (run it again after a crash).
    Safe while the gateway serves: until it finishes, aggregates publish no new number, and
    it passes again until a pass changes nothing. Progress goes to stderr.
    """
    settings = _settings(data_dir)
    configure_logging(settings.log_format)

    def progress(step: str, done: int) -> None:
        typer.echo(f"{step}: {done:,}", err=True)

    with database_settings(settings) as ready:
        changed = run_with_database(ready, lambda db: rebuild(db, progress))
    typer.echo(f"rollups rebuilt: {changed:,} documents changed", err=True)


@policy_app.command("show")
def policy_show() -> None:
    """Print the policy matrix (SPEC §4) and the write rules (§7) as Markdown, from the tables."""
    typer.echo(render_matrix(), nl=False)


@policy_app.command("check")
def policy_check() -> None:
    """Fail if a schema field has no rule, or a rule names a field that does not exist."""
    problems = coverage_problems(build_schema())
    for problem in problems:
        typer.secho(problem, err=True, fg=typer.colors.RED)
    if problems:
        raise typer.Exit(code=1)
    fields = sum(len(rules) for rules in POLICY.values())
    typer.echo(
        f"policy covers all {fields} fields of {len(POLICY)} types, {len(ROOTS)} root fields"
        f" and {len(WRITES)} mutations"
    )


@app.command("schema")
def schema_sdl(
    breaking_against: Annotated[
        Path | None,
        typer.Option(
            "--breaking-against",
            exists=True,
            dir_okay=False,
            help="A previous SDL (e.g. main's schema.graphql): list breaking and dangerous"
            " changes instead, and exit 1 if any change is breaking.",
        ),
    ] = None,
) -> None:
    """Print the schema's SDL, as served (`imoox-gateway schema > schema.graphql`)."""
    if breaking_against is None:
        typer.echo(served_sdl(), nl=False)
        return
    try:
        changes = changes_since(breaking_against.read_text())
    except UnreadableSchema as error:
        typer.secho(f"{breaking_against}: not a schema: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    for line in changes.lines():
        typer.echo(line)
    if not changes.lines():
        typer.echo("No breaking or dangerous changes.")
    if changes.breaking:
        raise typer.Exit(code=1)


RegistryFile = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        dir_okay=False,
        help="The registry JSON ({sha256: document}). [default: IMOOX_PERSISTED_QUERIES_FILE]",
    ),
]


def _registry_file(registry: Path | None) -> Path:
    path = registry or _settings(None).persisted_queries_file
    if path is None:
        raise _fail("No registry: pass --registry PATH or set IMOOX_PERSISTED_QUERIES_FILE.")
    return path


def _registry(registry: Path | None) -> QueryRegistry:
    path = _registry_file(registry)
    if not path.exists():
        raise _fail(f"{path}: no such registry.")
    try:
        return QueryRegistry.from_file(path)
    except ValueError as error:
        raise _fail(f"{path}: not a registry: {error}") from None


@persisted_app.command("add")
def persisted_add(
    operations_file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="A .graphql file of operations, or an Apollo persisted query manifest (.json).",
        ),
    ],
    registry: RegistryFile = None,
) -> None:
    """Register a client's operations, each validated against the schema first.

    Any invalid operation refuses the whole file (nothing written). Idempotent: an operation
    already registered is left as it is. Prints each operation's SHA-256, the hash its client
    sends as `extensions.persistedQuery.sha256Hash`.
    """
    path = _registry_file(registry)
    try:
        results = add_operations(path, read_operations(operations_file))
    except RefusedOperations as refused:
        for problem in refused.problems:
            typer.secho(problem, err=True, fg=typer.colors.RED)
        raise _fail(f"Nothing registered: {operations_file} has invalid operations.") from None
    except ValueError as error:  # the registry itself: not JSON, or a hash that does not match
        raise _fail(f"{path}: not a registry: {error}") from None
    for operation, added in results:
        verb = "added" if added else "already registered"
        typer.echo(f"{verb} {operation.digest} {operation.name}")
    count = sum(added for _, added in results)
    typer.echo(f"{count} added, {len(results) - count} already there: {path}", err=True)


@persisted_app.command("list")
def persisted_list(registry: RegistryFile = None) -> None:
    """Print each registered document's SHA-256 and its operations' names."""
    for digest, document in sorted(_registry(registry).documents.items()):
        typer.echo(f"{digest} {', '.join(operation_names(document))}")


@persisted_app.command("check")
def persisted_check(registry: RegistryFile = None) -> None:
    """Fail if a registered document no longer fits the schema (an app it would break)."""
    checked = _registry(registry)
    problems = invalid_documents(checked)
    for problem in problems:
        typer.secho(problem, err=True, fg=typer.colors.RED)
    if problems:
        raise typer.Exit(code=1)
    typer.echo(f"all {len(checked.documents)} registered documents fit the schema")
