"""Data access: collections, queries, DataLoaders and the demo world. Decides no access itself.

Not GraphQL resolvers (those are the Strawberry fields in `schema/`): the name is kept because
every module, test and document refers to `resolvers.<kind of data>`, and the package holds
exactly what a GraphQL resolver calls to read or write MongoDB, one module per kind of data.
"""
