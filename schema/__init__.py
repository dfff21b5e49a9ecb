"""The GraphQL schema: Strawberry types and root fields over `resolvers` and `authz`."""

from schema.build import build_schema

__all__ = ["build_schema"]
