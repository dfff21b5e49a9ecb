"""The policy check: every schema field has a rule, and every rule names a schema field."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType

from authz.policy import POLICY
from authz.roots import ROOTS
from authz.writes import WRITES


def coverage_problems(schema: strawberry.Schema) -> list[str]:
    """Problems as sentences; empty when the table and the schema match exactly.

    Every root query field needs a root rule, every mutation a write rule, and every other
    object type a read rule for each field.
    """
    graphql_schema = schema._schema
    roots = {
        t.name
        for t in (
            graphql_schema.query_type,
            graphql_schema.mutation_type,
            graphql_schema.subscription_type,
        )
        if t is not None
    }
    problems = []
    object_types = {
        name: graphql_type
        for name, graphql_type in graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("__")
        and name not in roots
    }
    for type_name, graphql_type in sorted(object_types.items()):
        rules = POLICY.get(type_name, {})
        problems += [
            f"{type_name}.{field} has no rule in authz/policy.py"
            for field in graphql_type.fields
            if field not in rules
        ]
    for type_name, rules in POLICY.items():
        fields = object_types[type_name].fields if type_name in object_types else {}
        problems += [
            f"the rule for {type_name}.{field} names a field the schema does not have"
            for field in rules
            if field not in fields
        ]
    mutation_type = graphql_schema.mutation_type
    problems += _root_problems("Mutation", "authz/writes.py", set(WRITES), mutation_type)
    problems += _root_problems("Query", "authz/roots.py", set(ROOTS), graphql_schema.query_type)
    return problems


def _root_problems(
    type_name: str, module: str, rules: set[str], root: GraphQLObjectType | None
) -> list[str]:
    fields = set(root.fields) if root else set()
    return [f"{type_name}.{name} has no rule in {module}" for name in sorted(fields - rules)] + [
        f"the rule in {module} for {name} names a field {type_name} does not have"
        for name in sorted(rules - fields)
    ]
