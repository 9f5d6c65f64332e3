"""The YAML text offline-plan (and the program's tests) write, defined once.

- `to_yaml`: configuration a person reads and a tool checks (Prometheus rule files, Alertmanager
  configurations): keys in the order they were built, block style, no anchors, no line wrapping inside
  PromQL; `literal_blocks=True` writes multi-line strings (notification templates) as `|` blocks.
- `manifest_yaml`: Kubernetes manifests, one object a file, keys in order, PyYAML's default layout.
"""

from __future__ import annotations

from typing import Any

import yaml


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


class _LiteralBlockDumper(_PlainDumper):
    """Multi-line strings as literal blocks, as a person would write them."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_LiteralBlockDumper.add_representer(str, _string)


def to_yaml(document: Any, *, literal_blocks: bool = False) -> str:
    """YAML text of a rendered configuration document, keys in the order they were built."""
    dumper = _LiteralBlockDumper if literal_blocks else _PlainDumper
    return yaml.dump(document, Dumper=dumper, sort_keys=False, width=1_000_000, allow_unicode=True)


def manifest_yaml(body: Any, *, libyaml: bool = False) -> str:
    """YAML text of one Kubernetes object as a manifest file, keys in order.

    `libyaml=True` (rendered Helm releases: hundreds of objects a plan) uses libyaml's emitter when it is
    installed (faster); it breaks long scalars at other places than the Python emitter,
    so the two layouts differ (the content does not).
    """
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper) if libyaml else yaml.SafeDumper
    return yaml.dump(body, Dumper=dumper, sort_keys=False)
