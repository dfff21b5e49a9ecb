"""Replacing the policy's tables and registries for one test, as an extension would change them.

Modules import a table by name (`from authz.policy import POLICY`), so a replacement must reach
every module holding it; `monkeypatch` puts each back after the test.
"""

from __future__ import annotations

import sys

import pytest


def everywhere(monkeypatch: pytest.MonkeyPatch, name: str, old: object, new: object) -> None:
    """Replace the table `old`, wherever a module holds it under `name`, for this test."""
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is old:
            monkeypatch.setattr(module, name, new)
