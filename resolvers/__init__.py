"""Data access: collections, queries, DataLoaders and the demo world. Decides no access itself."""
