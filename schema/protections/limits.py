"""Document limits, checked before execution (OWASP GraphQL Cheat Sheet, graphql-armor).

Tokens use Strawberry's limiter, depth and aliases its rules; directives and cost are rules
here. Cost is the number of values a query can make the server produce: each field costs 1,
and a list multiplies what is below it by its size: its `first` argument, or, for the list
inside a connection (`edges`), the connection's `first`; the largest page when `first` is a
variable (validation cannot see its value). A field that takes `first` and is asked without
it counts the page its resolver answers: `page_size` of the argument's declared default (the
schema's own declaration, which is what the resolver receives). Lists that take no `first`
count `default_list_size`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_list_type,
    is_non_null_type,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.schema.schema import validate_document

from schema.paging import page_size
from schema.protections.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_directives: int = 20
    max_cost: int = 800_000
    max_selections: int = 5_000
    max_page_size: int = 100
    default_list_size: int = 10
    max_operations: int = 5


def limit_error(limit: str, message: str, maximum: int) -> GraphQLError:
    return GraphQLError(
        message, extensions={"code": ErrorCode.LIMIT_EXCEEDED.value, "limit": limit, "max": maximum}
    )


def _directive_rule(maximum: int) -> type[ValidationRule]:
    class DirectiveLimit(ValidationRule):
        count = 0

        def enter_directive(self, *_: Any) -> None:
            self.count += 1
            if self.count == maximum + 1:
                self.report_error(
                    limit_error("directives", f"More than {maximum} directives.", maximum)
                )

    return DirectiveLimit


def _cost_rule(limits: Limits) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            cost = query_cost(node, self.context.schema, fragments, limits)
            if cost > limits.max_cost:
                self.report_error(
                    limit_error(
                        "cost",
                        f"The query could produce {cost} objects; the limit is {limits.max_cost}.",
                        limits.max_cost,
                    )
                )

    return CostLimit


def query_cost(
    operation: OperationDefinitionNode,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    limits: Limits,
) -> int:
    """How many values `operation` can make the server produce, at most."""
    root = schema.get_root_type(operation.operation)
    return _cost(operation.selection_set, root, fragments, limits, frozenset(), None)


def _cost(
    selection_set: SelectionSetNode | None,
    parent: Any,
    fragments: dict[str, FragmentDefinitionNode],
    limits: Limits,
    seen: frozenset[str],
    page: int | None,
) -> int:
    """The cost below `parent`; `page` is the `first` of the connection `parent` is, if any."""
    if selection_set is None or not isinstance(parent, GraphQLObjectType):
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            field = parent.fields.get(selection.name.value)
            if field is None:
                continue
            first = _first(selection, limits)
            if first is None:
                first = declared_page(field)
            unwrapped = field.type.of_type if is_non_null_type(field.type) else field.type
            if is_list_type(unwrapped):
                size, inner_page = first or page or limits.default_list_size, None
            else:
                size, inner_page = 1, first
            below = _cost(
                selection.selection_set,
                get_named_type(field.type),
                fragments,
                limits,
                seen,
                inner_page,
            )
            total += 1 + size * below
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, parent, fragments, limits, seen, page)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # cycles are refused by validation
                fragment = fragments[name]
                total += _cost(
                    fragment.selection_set, parent, fragments, limits, seen | {name}, page
                )
    return total


def declared_page(field: GraphQLField) -> int | None:
    """The page a field that takes `first` answers when asked without it (`None`: it takes
    none): what its resolver gets (the declared default) through `page_size`."""
    argument = field.args.get("first")
    if argument is None:
        return None
    declared = argument.default_value
    return page_size(declared if isinstance(declared, int) else None)


def _first(node: FieldNode, limits: Limits) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if not isinstance(value, IntValueNode):
                return limits.max_page_size
            # A negative size would subtract its list's cost from the document's; it costs
            # what a list of unknown size does (the resolvers refuse it anyway).
            return max(_int_literal(value), 0)
    return None


#: Past any 32-bit Int, which GraphQL's own rule refuses.
_BEYOND_INT = 10**10


def _int_literal(node: IntValueNode) -> int:
    """An Int literal's value, or ±`_BEYOND_INT` past 10 digits: Python's `int()` refuses
    past 4,300 digits, which made a rule's fault of a document GraphQL refuses anyway."""
    if len(node.value.lstrip("-")) <= 10:
        return int(node.value)
    return -_BEYOND_INT if node.value.startswith("-") else _BEYOND_INT


def _page_size_rule(maximum: int) -> type[ValidationRule]:
    class PageSizeLimit(ValidationRule):
        def enter_argument(self, node: Any, *_: Any) -> None:
            value = node.value
            if not (isinstance(value, IntValueNode) and node.name.value == "first"):
                return
            if _int_literal(value) > maximum:
                self.report_error(limit_error("first", f"`first` is at most {maximum}.", maximum))

    return PageSizeLimit


def _depth_rule(maximum: int) -> type[ValidationRule]:
    """Strawberry's depth rule, which does all its work in its constructor, outside the guard
    graphql-core keeps around the rules' visit: an empty selection set (`{}`, which graphql-core
    3.3 parses), an unknown fragment or a chain of fragments past Python's stack made it raise,
    a fault for what is the caller's mistake (attack review)."""
    checked = depth_rule(maximum, should_ignore=None)

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            try:
                checked(context)  # reports through the context
            except (ValueError, KeyError, RecursionError):
                message = (
                    "The document's depth cannot be checked: a selection set is empty, a "
                    "fragment is not defined, or fragments spread one another too deeply."
                )
                self.report_error(GraphQLError(message))

    return DepthLimit


def limit_rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules that enforce `limits`, as classes built once per schema.

    Strawberry's limiter extensions build new rule classes for every request; the validation
    cache keys on the rules, so with them it never hits.
    """
    return (
        _depth_rule(limits.max_depth),
        alias_rule(limits.max_aliases),
        _directive_rule(limits.max_directives),
        _cost_rule(limits),
        _page_size_rule(limits.max_page_size),
    )


def expanded_selections(document: DocumentNode) -> int:
    """How many selections the document's operations hold with every fragment spread written
    out, as validation rules that follow spreads (depth, aliases, cost) walk them.

    Counted without walking them: each fragment's own selections and spreads once, then each
    fragment's total once from those of the fragments it spreads, so the count takes time in
    proportion to the document however large it comes out (a fragment spreading the next one
    twice, 20 deep, is a million). A cycle counts nothing where it closes: validation refuses it.
    """
    own: dict[str, tuple[int, list[str]]] = {}
    operations: list[tuple[int, list[str]]] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            own[definition.name.value] = _own_selections(definition.selection_set)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(_own_selections(definition.selection_set))
    totals: dict[str, int] = {}
    for root in own:
        pending, open_ = [(root, False)], set()
        while pending:  # depth first, without recursion: a chain of fragments may be long
            name, spread_counted = pending.pop()
            if name in totals or name not in own:
                continue
            count, spreads = own[name]
            if spread_counted:
                totals[name] = count + sum(totals.get(spread, 0) for spread in spreads)
                open_.discard(name)
            elif name not in open_:
                open_.add(name)
                pending.append((name, True))
                pending.extend((spread, False) for spread in spreads)
    return sum(
        count + sum(totals.get(spread, 0) for spread in spreads) for count, spreads in operations
    )


def _own_selections(selection_set: SelectionSetNode) -> tuple[int, list[str]]:
    """The fields below `selection_set` that are not behind a spread, and the spreads."""
    fields, spreads, pending = 0, [], [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                spreads.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                fields += isinstance(selection, FieldNode)
                if selection.selection_set is not None:
                    pending.append(selection.selection_set)
    return fields, spreads


class Documents:
    """Parsed documents by their text, each with its validation errors by the rules it was
    checked against, for one schema (Strawberry's `ParserCache` and `ValidationCache`, keyed
    so that a request hashes a string and a tuple of rules: theirs key on the parse options
    and on the document, whose hash walks its whole tree, graphql-core's nodes being frozen
    dataclasses, on every request).

    A document whose selections, fragments written out, number more than `max_selections` is
    refused before any rule runs: rules that follow spreads take time in proportion to that
    number, which a short document can make exponential.
    """

    def __init__(self, max_tokens: int, max_selections: int, maxsize: int) -> None:
        self.max_selections = max_selections
        self.parsed: Callable[[str], _Parsed] = lru_cache(maxsize)(
            partial(_Parsed.of, max_tokens=max_tokens)
        )

    def errors(
        self, parsed: _Parsed, schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        """The document's validation errors under `rules`, as the caller's own list."""
        if parsed.selections > self.max_selections:
            maximum = self.max_selections
            message = f"More than {maximum} selections with the document's fragments written out."
            return [limit_error("selections", message, maximum)]
        try:
            errors = parsed.errors[rules]
        except KeyError:
            errors = parsed.errors[rules] = validate_document(schema, parsed.document, rules)
        return list(errors)  # nothing the caller does to its list reaches the cache


class _Parsed:
    __slots__ = ("document", "errors", "operations", "selections")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.selections = expanded_selections(document)
        self.operations = sum(
            isinstance(definition, OperationDefinitionNode) for definition in document.definitions
        )
        self.errors: dict[tuple[type[ASTValidationRule], ...], list[GraphQLError]] = {}

    @classmethod
    def of(cls, query: str, *, max_tokens: int) -> _Parsed:
        """Parsed with at most `max_tokens`; a document that fails is not kept."""
        return cls(parse(query, max_tokens=max_tokens))


class UnnamedOperation(CannotGetOperationTypeError):
    """A document of several operations that names none to run: GraphQL runs none (spec
    §6.1, GetOperation), where Strawberry would run the first. A 400 `BAD_REQUEST`, as an
    unknown `operationName` is."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "The document holds several operations: name the one to run in `operationName`."


class DocumentLimits(SchemaExtension):
    """Every document limit on the two hooks that parse and validate, cached: a token bound for
    the parser, rules for validation.

    One extension instead of Strawberry's four limiters and its two caches: each hook costs
    every request.
    """

    def __init__(self, documents: Documents, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.documents = documents
        self.rules = rules

    def on_parse(self) -> Iterator[None]:
        execution_context = self.execution_context
        assert execution_context.query  # Strawberry refuses an operation without one first
        self._parsed = self.documents.parsed(execution_context.query)
        # Strawberry's `operation_name` names the first operation when the caller named none;
        # what the caller sent is kept only here.
        if self._parsed.operations > 1 and execution_context._provided_operation_name is None:
            raise UnnamedOperation
        execution_context.graphql_document = self._parsed.document
        yield

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        execution_context.pre_execution_errors = self.documents.errors(
            self._parsed,
            execution_context.schema._schema,
            (*execution_context.validation_rules, *self.rules),
        )
        yield


def document_limits(limits: Limits, maxsize: int = 512) -> Callable[[], DocumentLimits]:
    """The extension enforcing `limits`, as a factory: one instance per request, one set of
    rule classes and one cache of `maxsize` documents for all."""
    documents = Documents(limits.max_tokens, limits.max_selections, maxsize)
    return partial(DocumentLimits, documents, limit_rules(limits))
