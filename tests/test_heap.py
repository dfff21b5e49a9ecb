"""A serving process keeps the collector off the app it built (gateway/heap.py, issue 11)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from gateway import workers
from gateway.heap import YOUNG_THRESHOLD
from gateway.settings import Settings


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector as it was, afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
def test_serve_freezes_the_built_app_and_collects_the_young_less_often(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def run(app: object, **options: object) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["threshold"] = gc.get_threshold()
        seen["app_tracked_young"] = any(app is o for o in gc.get_objects(generation=0))

    monkeypatch.setattr(uvicorn, "run", run)
    assert gc.get_freeze_count() == 0
    workers.serve(Settings(mongodb_uri="mongodb://127.0.0.1:1", data_dir=tmp_path))
    # The schema, its caches and the modules: tens of thousands of objects, out of sight.
    assert seen["frozen"] > 10_000
    assert seen["threshold"][0] == YOUNG_THRESHOLD
    assert seen["app_tracked_young"] is False
