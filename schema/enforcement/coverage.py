"""The policy check: every schema field has a rule, and every rule names a schema field."""

from __future__ import annotations

import strawberry
from graphql import GraphQLList, GraphQLObjectType, get_named_type, get_nullable_type

from authz.grants import PLAIN, Grant
from authz.policy import POLICY
from authz.roots import ROOTS
from authz.rows import KNOWN_FACTS, RowCondition, facts_named, fields_named
from authz.writes import WRITES
from resolvers.collections import OWNED, VALIDATORS


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
    return problems + row_problems(object_types)


#: The collection each stored type's documents are kept in (the owned lists the export lists).
STORED_IN = {listing.type_name: row.collection for row in OWNED for listing in row.export}


def row_problems(object_types: dict[str, GraphQLObjectType]) -> list[str]:
    """A row condition may name only facts `authz.rows` gives, and only fields the validator
    of each collection it is applied to knows (a typo would match nothing, silently)."""
    applied: dict[tuple[Grant, RowCondition], set[str]] = {}
    for type_name, rules in POLICY.items():
        for field, rule in rules.items():
            collection = STORED_IN.get(_rows_of(object_types, type_name, field))
            for grant in rule.grants:
                if (rows := grant.rows) is not None:
                    applied.setdefault((grant, rows), set()).update(
                        [collection] if collection else []
                    )
    problems = []
    for (grant, rows), collections in applied.items():
        name = PLAIN.name(grant)
        problems += [
            f"the rows of {name} name {fact}, which is no fact of authz/rows.py"
            for fact in dict.fromkeys(facts_named(rows))
            if fact not in KNOWN_FACTS
        ]
        for collection in sorted(collections & set(VALIDATORS)):
            known = VALIDATORS[collection]["properties"]
            problems += [
                f"the rows of {name} test {key}, which the {collection} validator does not know"
                for key in dict.fromkeys(fields_named(rows))
                if key.split(".")[0] not in known
            ]
    return problems


def _root_problems(
    type_name: str, module: str, rules: set[str], root: GraphQLObjectType | None
) -> list[str]:
    fields = set(root.fields) if root else set()
    return [f"{type_name}.{name} has no rule in {module}" for name in sorted(fields - rules)] + [
        f"the rule in {module} for {name} names a field {type_name} does not have"
        for name in sorted(rules - fields)
    ]


def _rows_of(object_types: dict[str, GraphQLObjectType], type_name: str, field: str) -> str:
    """The type whose documents a field's grants choose rows of: a list's rows (`Account.content`
    lists `Content`), else the type's own document (`Content.author` is read of an item)."""
    graphql_type = object_types.get(type_name)
    returned = graphql_type.fields.get(field) if graphql_type else None
    if returned is not None and isinstance(get_nullable_type(returned.type), GraphQLList):
        listed = get_named_type(returned.type).name
        return listed if listed in STORED_IN else type_name
    return type_name
