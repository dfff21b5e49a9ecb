"""Extension hooks worked out once per extension class, not once per request.

For every request, Strawberry's context managers look up each extension's hooks
(`ExtensionContextManagerBase.get_hook`) and wrap each with `contextlib.contextmanager`, a
`functools.wraps` copy of the bound method: 13 % of the gateway's CPU on `{ __typename }`
(py-spy, seven extensions, four lifecycle stages). What a hook is (absent, a generator, an
async generator) depends on the extension's class only, so it is worked out once per class
and stage; a request only binds its own instances. Hooks of any other form (a plain function
or coroutine) are left to Strawberry, per request, as before. Likewise only the extensions whose
class reports results of its own (`get_results`) are asked for them, and a stage with one hook
enters it without an exit stack.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import Any, Final

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

#: A hook Strawberry wraps itself, per request (`from_callable`).
_STRAWBERRYS: Final = object()

_Plan = tuple[Callable[..., Any], bool] | object | None


#: Each extension class's plan for each stage, as first asked for (a dict, not `functools.cache`:
#: mypy does not take an extension class for `Hashable`).
_PLANS: dict[tuple[type[SchemaExtension], str], _Plan] = {}


def _plan(extension_type: type[SchemaExtension], stage: str) -> _Plan:
    try:
        return _PLANS[extension_type, stage]
    except KeyError:
        plan = _PLANS[extension_type, stage] = _planned(extension_type, stage)
        return plan


def _overrides(extension_type: type[SchemaExtension], name: str) -> bool:
    """Whether the class has its own `name`, not `SchemaExtension`'s (which does nothing)."""
    return getattr(extension_type, name) is not getattr(SchemaExtension, name)


def _planned(extension_type: type[SchemaExtension], stage: str) -> _Plan:
    """How an extension class takes part in a stage: not at all (None), through a context
    manager factory taking the instance (and whether it is async), or `_STRAWBERRYS`."""
    if not _overrides(extension_type, stage):
        return None
    hook = getattr(extension_type, stage)
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return _STRAWBERRYS


class _Planned(ExtensionContextManagerBase):
    """A stage's hooks from the plans of the extensions' classes."""

    _lone: Any  # the lone hook's context manager, while entered

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = []
        self.default_hook = getattr(SchemaExtension, self.HOOK_NAME)
        for extension in extensions:
            plan = _plan(type(extension), self.HOOK_NAME)
            if plan is None:
                continue
            if isinstance(plan, tuple):
                factory, is_async = plan
                self.hooks.append(WrappedHook(extension, partial(factory, extension), is_async))
            elif hook := self.get_hook(extension):
                self.hooks.append(hook)

    async def __aenter__(self) -> None:
        """No hook or a lone one (most stages of most requests: parse, validate, execute) is
        entered as it is: Strawberry's `AsyncExitStack` costs more than the hook itself (37,000
        of the 1,127,000 instructions of `{ __typename }`, `bench/instructions.py`)."""
        if len(self.hooks) > 1:
            await super().__aenter__()
        elif self.hooks:
            (hook,) = self.hooks
            self._lone = hook.hook()
            if hook.is_async:
                await self._lone.__aenter__()
            else:
                self._lone.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        """As Strawberry's: what the hooks return does not suppress the exception."""
        if len(self.hooks) > 1:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        elif self.hooks:
            if self.hooks[0].is_async:
                await self._lone.__aexit__(exc_type, exc_val, exc_tb)
            else:
                self._lone.__exit__(exc_type, exc_val, exc_tb)


class _Operation(_Planned, OperationContextManager):
    pass


class _Validation(_Planned, ValidationContextManager):
    pass


class _Parsing(_Planned, ParsingContextManager):
    pass


class _Executing(_Planned, ExecutingContextManager):
    pass


class PlannedExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner, with the four stages of every operation planned per class."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """Strawberry's, without asking the extensions that keep the base `get_results` (it
        answers `{}`): an `await_maybe` each, every request, 11 µs for eight of them."""
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if _overrides(type(extension), "get_results"):
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
