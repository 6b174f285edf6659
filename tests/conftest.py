"""Shared test fixtures, and the guard that keeps every test on loopback.

Any attempt to open a connection to an address outside 127.0.0.0/8 or ::1 fails the test
that made it: tests talk only to the real local HTTP servers they start themselves.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ("tests.siteserver", "tests.generators")

# A proxy from the environment must never carry a test's loopback traffic elsewhere.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(
        filter(None, [os.environ.get(_name, ""), "127.0.0.1,localhost,::1"])
    )

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NonLoopbackConnection(AssertionError):
    """A test tried to reach an address other than loopback."""


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError as exc:  # a name: only localhost is allowed
            if host != "localhost":
                raise NonLoopbackConnection(f"test tried to connect to {host!r}") from exc
            return
        if not ip.is_loopback:
            raise NonLoopbackConnection(f"test tried to connect to {host!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    stable_parametrize_ids(items)


def stable_parametrize_ids(items: list[pytest.Item]) -> None:
    """Refuse a test id that pytest would spell differently when it collects again.

    pytest keeps the ids it made from a parametrize `ids=` on the mark and escapes them once
    more when the same process collects a second time, as mutmut's workers do: an id with an
    escape in it (non-ASCII or unprintable text shows as `\\xff`) then turns into `\\\\xff`,
    mutmut's recorded test is "not found", pytest exits 4 and the mutation run stops.
    """
    unstable = [
        item.nodeid
        for item in items
        if "\\" in item.nodeid
        and any(
            "ids" in mark.kwargs or len(mark.args) >= 4 for mark in item.iter_markers("parametrize")
        )
    ]
    if unstable:
        raise pytest.UsageError(
            f"{unstable[0]}: a parametrize id with an escape in it breaks `mutmut run`; "
            "give the case a plain ASCII id (pytest.param(..., id=...))"
        )
