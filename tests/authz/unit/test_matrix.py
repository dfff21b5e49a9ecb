"""`policy show` prints a column for every relation: one left out would hide its grants."""

from __future__ import annotations

from authz.matrix import COLUMNS
from authz.relations import Relation


def test_every_relation_has_its_column_in_table_order() -> None:
    assert [relation for relation, _ in COLUMNS] == list(Relation)
