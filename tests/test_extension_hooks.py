"""Hooks planned once per extension class run as Strawberry runs them: each kind of hook, in
the extensions' order, nested, seeing what fails inside them, bound to the request's own
instances (`schema.extension_hooks`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import ExtensionContextManagerBase
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from schema.extension_hooks import PlannedExtensionsRunner

events: list[str] = []


class Outer(SchemaExtension):
    """Every stage as a generator or an async generator (planned per class)."""

    def on_operation(self) -> Iterator[None]:
        events.append(f"operation {self.execution_context.query} <")
        yield
        events.append("operation >")

    def on_parse(self) -> Iterator[None]:
        events.append("parse outer <")
        yield
        events.append("parse outer >")

    async def on_validate(self) -> AsyncIterator[None]:
        events.append("validate outer <")
        yield
        events.append("validate outer >")

    async def on_execute(self) -> AsyncIterator[None]:
        events.append("execute outer <")
        try:
            yield
        except RuntimeError as error:
            events.append(f"execute outer saw {error}")
            raise
        events.append("execute outer >")


class Inner(SchemaExtension):
    """Hooks Strawberry wraps itself: a plain function and a coroutine."""

    def on_parse(self) -> None:  # type: ignore[override]
        events.append("parse inner")

    async def on_validate(self) -> None:  # type: ignore[override]
        events.append("validate inner")

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        if self.execution_context.query == "{ fail }":
            raise RuntimeError("inner failed")


@strawberry.type
class Query:
    fail: bool = False
    ok: bool = True


class Planned(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return PlannedExtensionsRunner(execution_context=execution_context, extensions=extensions)


EXPECTED = [
    "operation { ok } <",
    "parse outer <",
    "parse inner",
    "parse outer >",
    "validate outer <",
    "validate inner",
    "validate outer >",
    "execute outer <",
    "execute outer >",
    "operation >",
]


@pytest.fixture(params=[strawberry.Schema, Planned], ids=["strawberry", "planned"])
def schema(request: pytest.FixtureRequest) -> strawberry.Schema:
    events.clear()
    built: strawberry.Schema = request.param(query=Query, extensions=[Outer, Inner])
    return built


async def test_each_kind_of_hook_runs_in_order_and_nested(schema: strawberry.Schema) -> None:
    result = await schema.execute("{ ok }", root_value=Query())
    assert result.errors is None and result.data == {"ok": True}
    assert events == EXPECTED


async def test_a_hook_sees_what_fails_inside_it(schema: strawberry.Schema) -> None:
    result = await schema.execute("{ fail }", root_value=Query())
    assert [error.message for error in result.errors or []] == ["inner failed"]
    assert events[-2:] == ["execute outer <", "execute outer saw inner failed"]


async def test_each_request_binds_its_own_instances(schema: strawberry.Schema) -> None:
    await schema.execute("{ ok }", root_value=Query())
    await schema.execute("{ __typename }", root_value=Query())
    operations = [event for event in events if event.startswith("operation ")]
    assert operations == [
        "operation { ok } <",
        "operation >",
        "operation { __typename } <",
        "operation >",
    ]


async def test_only_hooks_of_other_forms_are_wrapped_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outer's generator hooks are planned once; Inner's plain function and coroutine are
    Strawberry's to wrap, each request (on_execute is an async generator: planned)."""
    wrapped: list[str] = []
    get_hook = ExtensionContextManagerBase.get_hook

    def counting(self: ExtensionContextManagerBase, extension: SchemaExtension) -> object:
        wrapped.append(f"{type(extension).__name__}.{self.HOOK_NAME}")
        return get_hook(self, extension)

    monkeypatch.setattr(ExtensionContextManagerBase, "get_hook", counting)
    schema = Planned(query=Query, extensions=[Outer, Inner])
    for _ in range(2):
        await schema.execute("{ ok }", root_value=Query())
    assert wrapped == ["Inner.on_parse", "Inner.on_validate"] * 2


class Reporting(SchemaExtension):
    def get_results(self) -> dict[str, object]:
        return {"reported": self.execution_context.query}


class ReportingLater(SchemaExtension):
    async def get_results(self) -> dict[str, object]:
        return {"later": True}


async def test_results_of_extensions_that_report_them_reach_the_response() -> None:
    for built in (strawberry.Schema, Planned):
        schema = built(query=Query, extensions=[Outer, Reporting, Inner, ReportingLater])
        result = await schema.execute("{ ok }", root_value=Query())
        assert result.extensions == {"reported": "{ ok }", "later": True}, built


async def test_extensions_without_results_of_their_own_are_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def counting(self: SchemaExtension) -> dict[str, object]:
        asked.append(type(self).__name__)
        return {}

    monkeypatch.setattr(SchemaExtension, "get_results", counting)
    schema = Planned(query=Query, extensions=[Outer, Reporting, Inner])
    result = await schema.execute("{ ok }", root_value=Query())
    assert result.extensions == {"reported": "{ ok }"}
    assert asked == []


class Lone(SchemaExtension):
    """Alone in its schema: every stage has one hook, entered without an exit stack."""

    def on_parse(self) -> Iterator[None]:
        events.append("parse <")
        try:
            yield
        except Exception as error:
            events.append(f"parse saw {type(error).__name__}")
            raise
        events.append("parse >")

    async def on_execute(self) -> AsyncIterator[None]:
        events.append("execute <")
        yield
        if self.execution_context.query == "{ fail }":
            raise RuntimeError("lone failed")
        events.append("execute >")


@pytest.fixture(params=[strawberry.Schema, Planned], ids=["strawberry", "planned"])
def lone_schema(request: pytest.FixtureRequest) -> strawberry.Schema:
    events.clear()
    built: strawberry.Schema = request.param(query=Query, extensions=[Lone])
    return built


async def test_a_lone_hook_runs_around_its_stage(lone_schema: strawberry.Schema) -> None:
    result = await lone_schema.execute("{ ok }", root_value=Query())
    assert result.errors is None and result.data == {"ok": True}
    assert events == ["parse <", "parse >", "execute <", "execute >"]


class Swallowing(SchemaExtension):
    """Catches what fails inside its stage and does not raise it again."""

    async def on_execute(self) -> AsyncIterator[None]:
        try:
            yield
        except RuntimeError as error:
            events.append(f"swallowed {error}")


@pytest.mark.parametrize("runner", [SchemaExtensionsRunner, PlannedExtensionsRunner])
async def test_a_lone_hook_sees_what_fails_inside_it_and_cannot_hide_it(
    runner: type[SchemaExtensionsRunner],
) -> None:
    """As Strawberry's stages: the failure reaches the hook, and still leaves the stage."""
    events.clear()
    schema = strawberry.Schema(query=Query)
    context = ExecutionContext(query="{ ok }", schema=schema, allowed_operations=())
    extension = Swallowing(execution_context=context)
    stage = runner(execution_context=context, extensions=[extension]).executing()
    with pytest.raises(RuntimeError, match="inside"):
        async with stage:
            raise RuntimeError("inside")
    assert events == ["swallowed inside"]


async def test_what_a_lone_hook_raises_reaches_the_answer(lone_schema: strawberry.Schema) -> None:
    result = await lone_schema.execute("{ fail }", root_value=Query())
    assert [error.message for error in result.errors or []] == ["lone failed"]
    assert events == ["parse <", "parse >", "execute <"]
