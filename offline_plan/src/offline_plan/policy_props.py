"""A resource's inputs as a policy sees them, built lazily.

The analyzer (`pulumi_policy.policy._PolicyAnalyzerServicer.Analyze`) deserializes a request's properties
afresh for every policy and wraps them in `unknown_checking_proxy`, which walks the whole tree up front:
every dict and list becomes a `_DictProxy`/`_ListProxy` whose item access raises `UnknownValueError` on
an unknown sentinel. Done for every policy and every record (84 x 430 in production) that walk was most
of the policy check, although a policy reads a few keys of the few types it validates.

`policy_props` gives the same objects (instances of the SDK's own proxy classes, so their
`__getitem__`, `__setitem__`, `__len__`, `__iter__`, `Mapping`/`Sequence` methods and `"__target"` are
the SDK's code) but builds each level only when the policy first touches it, from one shared parse of
the record's inputs that no proxy ever mutates: a level's target is a new dict or list whose containers
are (lazy) proxies, exactly as the eager walk builds it, so a policy that writes through a proxy changes
only its own copy, as with the analyzer's fresh per-policy deserialization.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy.proxy import _DictProxy, _ListProxy


def _child(value: Any, path: list[str], key: Any) -> Any:
    if isinstance(value, dict):
        return _LazyDictProxy(value, [*path, str(key)])
    if isinstance(value, list):
        return _LazyListProxy(value, [*path, str(key)])
    return value


class _LazyDictProxy(_DictProxy):
    """`_DictProxy` whose target (`_DictProxy__target`) is built on first use from `source`."""

    def __init__(self, source: dict[str, Any], path: list[str]) -> None:  # no super(): target is lazy
        self._lazy_source = source
        self._DictProxy__props_acc = path

    def __getattr__(self, name: str) -> Any:
        if name != "_DictProxy__target":
            raise AttributeError(name)
        path = self._DictProxy__props_acc
        target = {key: _child(value, path, key) for key, value in self._lazy_source.items()}
        self._DictProxy__target = target
        return target


class _LazyListProxy(_ListProxy):
    """`_ListProxy` whose target (`_ListProxy__target`) is built on first use from `source`."""

    def __init__(self, source: list[Any], path: list[str]) -> None:  # no super(): target is lazy
        self._lazy_source = source
        self._ListProxy__props_acc = path

    def __getattr__(self, name: str) -> Any:
        if name != "_ListProxy__target":
            raise AttributeError(name)
        path = self._ListProxy__props_acc
        target = [_child(value, path, index) for index, value in enumerate(self._lazy_source)]
        self._ListProxy__target = target
        return target


def policy_props(inputs: Any) -> Any:
    """`unknown_checking_proxy(copy of inputs)`, built level by level as the policy reads it.

    `inputs` is shared between calls and must not be mutated by the caller while proxies are alive.
    """
    if isinstance(inputs, dict):
        return _LazyDictProxy(inputs, [])
    if isinstance(inputs, list):
        return _LazyListProxy(inputs, [])
    return inputs
