"""In production the schema is no oracle: a document that fails validation learns nothing of it.

Introspection and suggestions are off in production, but GraphQL's own error texts ("Field
'account' of type 'Account' must have a selection of subfields", "Cannot query field …",
"Unknown argument …", variable coercion naming input types) rebuild the schema for a tool
such as clairvoyance. Here every answer to a malformed document is checked against every
name the schema has (derived from the schema, not listed by hand), and clairvoyance itself
is run against a real server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import graphql
import pytest
import uvicorn
from clairvoyance.entities import GraphQLPrimitive
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import Message, Receive, Scope, Send

from gateway.app import create_app
from gateway.settings import Settings
from schema import build_schema
from tests.client import GatewayClient, production, running

#: The names a caller may learn without asking: the root operation types (`{ __typename }`).
ROOT_NAMES = frozenset({"Query", "Mutation"})
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def schema_names() -> frozenset[str]:
    """Every type, field, argument, input field and enum value name of the served schema."""
    schema = graphql.build_schema(build_schema().as_str())
    names: set[str] = set()
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        names.add(named.name)
        if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                names.add(field_name)
                names.update(field.args)
        elif isinstance(named, graphql.GraphQLInputObjectType):
            names.update(named.fields)
        elif isinstance(named, graphql.GraphQLEnumType):
            names.update(named.values)
    return frozenset(names)


SCHEMA_NAMES = schema_names()


def words(value: Any) -> Iterator[str]:
    """The identifiers in every string value of an answer (keys are the protocol's, not ours)."""
    if isinstance(value, str):
        yield from _NAME.findall(value)
    elif isinstance(value, dict):
        for inner in value.values():
            yield from words(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from words(inner)


def named_in(answer: dict[str, Any]) -> set[str]:
    """The schema's names an answer mentions, its request id aside (the caller chose it)."""
    errors = [
        {k: v for k, v in error.items() if k != "extensions"}
        | {"extensions": {k: v for k, v in error["extensions"].items() if k != "requestId"}}
        for error in answer.get("errors", [])
    ]
    return set(words({"data": answer.get("data"), "errors": errors})) & SCHEMA_NAMES


CREATE = "mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }"


def deep(inner: str) -> str:
    """A valid selection 14 levels deep, past the depth limit (12), around `inner`."""
    for _ in range(6):
        inner = f"content {{ author {{ {inner} }} }}"
    return f'account(id: "acct-alice") {{ {inner} }}'


#: Documents that parse but fail validation or variable coercion: (name, query, variables).
MALFORMED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("object field without selection", "{ account }", None),
    ("missing required argument", "{ account { id } }", None),
    ("unknown root field", "{ publicFed(first: 1) { pageInfo { hasNextPage } } }", None),
    ("unknown nested field", "{ publicFeed(first: 1) { edges { node { id owner } } } }", None),
    ("selection on a leaf", '{ content(id: "x") { id { value } } }', None),
    ("unknown argument", "{ publicFeed(frist: 1) { pageInfo { hasNextPage } } }", None),
    ("literal of the wrong type", '{ publicFeed(first: "ten") { edges { cursor } } }', None),
    ("wrong literal for an id", "{ content(id: 4.5) { id } }", None),
    (
        "unknown input field",
        'mutation { createContent(input: {kind: POST, body: "x", nope: 1}) { content { id } } }',
        None,
    ),
    (
        "missing input field",
        'mutation { createContent(input: {body: "x"}) { content { id } } }',
        None,
    ),
    (
        "unknown enum value",
        'mutation { createContent(input: {kind: BLOG, body: "x"}) { content { id } } }',
        None,
    ),
    ("input object for a scalar", "{ content(id: {a: 1}) { id } }", None),
    (
        "variable in the wrong position",
        "query($f: String) { publicFeed(first: $f) { pageInfo { hasNextPage } } }",
        None,
    ),
    ("unknown variable type", "query($x: Nope) { content(id: $x) { id } }", None),
    ("output type as a variable", "query($x: Account) { me { id } }", None),
    ("fragment on an unrelated type", "{ me { ... on Content { id } } }", None),
    ("fragment on an unknown type", "fragment f on Nope { id } { me { ...f } }", None),
    ("conflicting aliases", "{ me { id: email id } }", None),
    ("unknown mutation", "mutation { signUpp(input: {}) { ok } }", None),
    ("subscription", "subscription { me { id } }", None),
    ("unknown directive", "{ me @nope { id } }", None),
    ("introspection", "{ __schema { types { name fields { name } } } }", None),
    ("type introspection", '{ __type(name: "Account") { fields { name } } }', None),
    ("several errors at once", "{ account publicFed me { nope } }", None),
    ("an unknown field past a limit", f"{{ {deep('nope')} }}", None),
    ("coercion: missing variable", CREATE, {}),
    ("coercion: unknown enum value", CREATE, {"input": {"kind": "BLOG", "body": "x"}}),
    ("coercion: unknown input field", CREATE, {"input": {"kind": "POST", "nope": 1}}),
    ("coercion: missing input field", CREATE, {"input": {"body": "x"}}),
    (
        "coercion: wrong scalar",
        "query($n: Int) { publicFeed(first: $n) { edges { cursor } } }",
        {"n": "many"},
    ),
    ("coercion: object for a list", CREATE, {"input": {"kind": "POST", "sharedWith": {"a": 1}}}),
]


async def ask(client: GatewayClient, query: str, variables: dict[str, Any] | None, rid: str) -> Any:
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"X-Request-Id": rid},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-Id"] == rid
    return response.json()


def opaque(answer: dict[str, Any], rid: str) -> bool:
    """One error, a code and the request id; no data, no locations, no name of the schema."""
    return (
        answer.get("data") is None
        and len(answer["errors"]) == 1
        and set(answer["errors"][0]) == {"message", "extensions"}
        and answer["errors"][0]["extensions"]
        == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": rid}
        and not named_in(answer)
    )


def test_the_name_list_comes_from_the_schema() -> None:
    assert {"Account", "CreateContentInput", "publicFeed", "sharedWith", "first"} <= SCHEMA_NAMES
    assert "ContentKind" in SCHEMA_NAMES and "COMMENT" in SCHEMA_NAMES
    assert len(SCHEMA_NAMES) > 200


async def test_production_answers_to_malformed_documents_name_nothing_of_the_schema(
    settings: Settings,
    db: AsyncDatabase[Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    leaks: dict[str, Any] = {}
    async with running(production(settings, tmp_path)) as client:
        for number, (name, query, variables) in enumerate(MALFORMED):
            rid = f"probe-{number}"
            caplog.clear()
            with caplog.at_level(logging.INFO):
                answer = await ask(client, query, variables, rid)
            if not opaque(answer, rid):
                leaks[name] = answer
                continue
            # The details are not lost: the log holds them, under the same request id.
            logged = [r for r in caplog.records if getattr(r, "request_id", None) == rid]
            assert any(getattr(r, "errors", None) for r in logged), name
        # One message for all, so answers cannot be told apart either.
        messages = {
            json.dumps((await ask(client, q, v, "same"))["errors"]) for _, q, v in MALFORMED
        }
        # A document that fits the schema still hears which limit it broke.
        limited = await ask(client, f"{{ {deep('id')} }}", None, "limited")
    assert leaks == {}
    assert len(messages) == 1
    assert {e["extensions"]["code"] for e in limited["errors"]} == {"LIMIT_EXCEEDED"}


async def test_development_keeps_the_helpful_messages(
    settings: Settings, db: AsyncDatabase[Any]
) -> None:
    async with running(settings) as client:
        missing = await ask(client, "{ account }", None, "dev-1")
        misspelt = await ask(client, "{ publicFed(first: 1) { edges { cursor } } }", None, "dev-2")
        coerced = await ask(client, CREATE, {"input": {"kind": "BLOG"}}, "dev-3")
    assert {"account", "Account", "id"} <= named_in(missing)
    assert "Did you mean 'publicFeed'" in misspelt["errors"][0]["message"]
    assert "ContentKind" in named_in(coerced)
    assert all("locations" in error for error in missing["errors"])


async def test_production_refusals_name_nothing_in_their_text(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    """SPEC §11: production error texts name no type or field; the coordinate stays in
    `extensions` (SPEC §8), where a client reads it, for the field it asked for itself."""
    async with running(production(settings, tmp_path)) as client:
        denied = await ask(client, '{ account(id: "acct-alice") { email } }', None, "p-1")
        root = await ask(client, "{ me { id } }", None, "p-2")
        write = await ask(client, "mutation { signOut(input: {}) { signedOut } }", None, "p-3")
    texts = [e["message"] for a in (denied, root, write) for e in a["errors"]]
    assert not set(words(texts)) & SCHEMA_NAMES, texts
    assert [e["extensions"]["coordinate"] for a in (denied, root, write) for e in a["errors"]] == [
        "Account.email",
        "Query.me",
        "Mutation.signOut",
    ]


# --- clairvoyance, the schema-recovery tool, against a real server --------------------------

#: 24 words: real root and field names, and decoys.
WORDLIST = [
    "account", "me", "content", "publicFeed", "domain", "supportCases", "policy",
    "policyVersion", "deviceSettings", "legalRequest", "transparencyReport", "recommendations",
    "email", "id", "first", "after", "signIn", "signUp", "createContent", "user", "users",
    "post", "posts", "admin",
]  # fmt: skip


class Recorder:
    """ASGI wrapper keeping every response body, to check what the tool was told."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.bodies.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """`app` under uvicorn on a free port of 127.0.0.1, for a tool that speaks real HTTP."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()


def recovered_names(schema_json: str) -> set[str]:
    """Type, field and argument names in clairvoyance's output (an introspection result)."""
    names: set[str] = set()
    for named in json.loads(schema_json)["data"]["__schema"]["types"]:
        names.add(named["name"])
        for field in named.get("fields") or []:
            names.add(field["name"])
            names.update(arg["name"] for arg in field.get("args") or [])
        names.update(value["name"] for value in named.get("inputFields") or [])
    return names


async def test_clairvoyance_recovers_nothing_but_the_root_names(
    settings: Settings, db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    wordlist, output = tmp_path / "words.txt", tmp_path / "schema.json"
    wordlist.write_text("\n".join(WORDLIST))
    recorder = Recorder(create_app(production(settings, tmp_path)))
    async with served(recorder) as url:
        tool = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clairvoyance", "-w", str(wordlist), "-o", str(output),
            "-c", "4", url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(tool.communicate(), timeout=300)
    if output.exists():
        recovered = recovered_names(output.read_text())
    else:
        # It read no type from any answer and gave up, before writing anything.
        assert b"EndpointError" in stderr, stderr.decode()[-2000:]
        recovered = set()
    known_before = ROOT_NAMES | {primitive.value for primitive in GraphQLPrimitive}
    assert sorted(recovered & SCHEMA_NAMES - known_before) == []
    # Nor could a cleverer reader of the same answers: none names anything but the roots.
    assert any(b"GRAPHQL_VALIDATION_FAILED" in body for body in recorder.bodies)
    told: set[str] = set()
    for body in recorder.bodies:
        told |= set(words(json.loads(body))) & SCHEMA_NAMES
    assert sorted(told - ROOT_NAMES) == []


async def test_probes_for_real_and_made_up_names_get_one_answer(
    settings: Settings, db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    """clairvoyance's own probes, word by word: real names and decoys cannot be told apart."""
    probes = [
        "query {{ {w} }}",
        "query {{ {w} {{ lol }} }}",
        "query {{ {w}(first: 42) }}",
        "query {{ account({w}: 7) }}",
        "query {{ account(id: 7, {w}: false) {{ id }} }}",
        "query {{ publicFeed({w}: {{}}) {{ edges {{ cursor }} }} }}",
        'mutation {{ createContent(input: {{kind: POST, {w}: "42"}}) {{ content {{ id }} }} }}',
    ]
    answers: dict[str, list[str]] = {}
    async with running(production(settings, tmp_path)) as client:
        for word in WORDLIST:
            for probe in probes:
                answer = await ask(client, probe.format(w=word), None, "same")
                answers.setdefault(json.dumps(answer), []).append(probe.format(w=word))
    [(answer, _)] = answers.items()
    assert opaque(json.loads(answer), "same")


async def test_each_operation_of_a_batch_is_answered_on_its_own(
    settings: Settings, db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    batch = [{"query": "{ account }"}, {"query": "{ publicFeed(first: 1) { edges { cursor } } }"}]
    async with running(production(settings, tmp_path)) as client:
        response = await client.http.post("/graphql", json=batch, headers={"X-Request-Id": "b"})
    malformed, valid = response.json()
    assert opaque(malformed, "b")
    assert "errors" not in valid and valid["data"]["publicFeed"]["edges"] == []
