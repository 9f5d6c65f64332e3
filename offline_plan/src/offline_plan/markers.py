"""The markers the plan writes in place of values it must not or cannot show, defined once.

Imports nothing: the worker side (`runner`), which runs under the program's own interpreter, uses them too.
"""

from __future__ import annotations

from typing import Final

REDACTED: Final = "[secret]"
"""What a value that is a Pulumi secret becomes wherever the plan records it (inputs, outputs, values)."""
UNKNOWN: Final = "[unknown]"
"""What a recorded value that is unknown during preview becomes."""
REDACTED_ANNOTATION: Final = "offline-plan/redacted-secret-fields"
"""Annotation of a written manifest naming the fields whose secret content was withheld."""
