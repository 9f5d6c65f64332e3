"""Fixtures of the infra tests: `mocks` installs a fresh `RecordingMocks` for a one-component test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pulumi
import pytest

from tests.infra.component_mocks import RecordingMocks


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    # Own event loop: an offline plan run earlier in the session closes and unsets the one it used.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="memory-platform", stack="unit", preview=False)
    yield recording
    loop.close()
    asyncio.set_event_loop(None)
