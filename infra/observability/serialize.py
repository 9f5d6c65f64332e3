"""YAML output for rendered configuration: block style, no anchors, no line wrapping inside PromQL."""

from __future__ import annotations

from typing import Any

import yaml


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(document: Any) -> str:
    """YAML text of a rendered document, keys in the order they were built."""
    return yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, width=1_000_000, allow_unicode=True)
