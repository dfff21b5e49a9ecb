"""The pinned, hash-checked installs (requirements/*.txt, written by `make lock`): each pins what
pyproject.toml asks for, `run` leaves out what only developing needs, and a developer's
environment runs the versions a deployment runs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# What `make run` must not install: the tools of `make test` and `make lock`.
DEVELOPER_TOOLS = {"pytest", "pytest-asyncio", "mypy", "ruff", "hypothesis", "clairvoyance", "uv"}


def _lines(lock: str) -> list[str]:
    """The lock's requirements, one a line, with their `--hash` options."""
    text = (ROOT / "requirements" / lock).read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip().split("#")[0]]


def _pins(lock: str) -> dict[str, set[Version]]:
    """Each package's pinned versions (more than one only where markers tell them apart)."""
    pins: dict[str, set[Version]] = {}
    for line in _lines(lock):
        requirement = Requirement(line.split(" --hash")[0])
        (pin,) = requirement.specifier
        assert pin.operator == "==", line
        pins.setdefault(canonicalize_name(requirement.name), set()).add(Version(pin.version))
    return pins


def _asked(*extras: str) -> list[Requirement]:
    asked = PROJECT["dependencies"] + [
        line for extra in extras for line in PROJECT["optional-dependencies"][extra]
    ]
    return [Requirement(line) for line in asked]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("run.txt", ("embedded",)), ("dev.txt", tuple(PROJECT["optional-dependencies"]))],
)
def test_a_lock_pins_what_pyproject_asks_for(lock: str, extras: tuple[str, ...]) -> None:
    """Fails after a dependency changes in pyproject.toml until `make lock` runs."""
    pins = _pins(lock)
    for requirement in _asked(*extras):
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: run `make lock`"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {requirement.name}=={version}, outside"
                f" {requirement.specifier}: run `make lock`"
            )


@pytest.mark.parametrize("lock", ["run.txt", "dev.txt"])
def test_every_pin_carries_its_hashes(lock: str) -> None:
    for line in _lines(lock):
        assert " --hash=sha256:" in line, line


def test_running_leaves_out_the_developer_tools() -> None:
    assert _pins("dev.txt").keys() >= DEVELOPER_TOOLS
    assert not DEVELOPER_TOOLS & _pins("run.txt").keys()


def test_developing_runs_the_versions_running_does() -> None:
    run, dev = _pins("run.txt"), _pins("dev.txt")
    assert run.keys() <= dev.keys()
    assert {name: dev[name] for name in run} == run
