"""Fixtures of the infra tests: `mocks` installs a fresh `RecordingMocks` for a one-component test."""

from __future__ import annotations

import pulumi
import pytest

from tests.infra.component_mocks import RecordingMocks


@pytest.fixture
def mocks() -> RecordingMocks:
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="memory-platform", stack="unit", preview=False)
    return recording
