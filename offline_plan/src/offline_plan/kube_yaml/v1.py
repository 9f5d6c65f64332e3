"""v1 components: the answers to `kubernetes:yaml:decode` and `kubernetes:kustomize:directory`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from offline_plan.kube_yaml.kustomize import kustomize_build
from offline_plan.kube_yaml.objects import DECODE, is_namespaced, is_url, parse_documents, url_warning
from offline_plan.kube_yaml.v2 import _brief


# -- v1: invoke answers ----------------------------------------------------------------------------------
def answer_invoke(token: str, args: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The provider's answer to `kubernetes:yaml:decode` or `kubernetes:kustomize:directory`."""
    if token == DECODE:
        objects = parse_documents(str(args.get("text") or ""), "kubernetes.yaml text")
        namespace = args.get("defaultNamespace")
    else:
        directory = str(args.get("directory") or "")
        if is_url(directory):
            warnings.append(url_warning(directory, "kustomize.Directory"))
            return {"result": []}
        objects = kustomize_build(directory, warnings)
        namespace = None
    kept = []
    for obj in objects:
        if not obj.get("kind") or not obj.get("apiVersion"):
            # The provider drops these without a word; a reviewer should hear of it.
            warnings.append(f"{token}: skipped an object without kind or apiVersion: {_brief(obj)}")
            continue
        # The provider assumes kinds of unknown scope are namespaced.
        if (
            namespace
            and not (obj.get("metadata") or {}).get("namespace")
            and is_namespaced(obj, objects) is not False
        ):
            obj.setdefault("metadata", {})["namespace"] = namespace
        kept.append(obj)
    return {"result": kept}


@contextmanager
def offline_sdk(warnings: list[str]) -> Iterator[None]:
    """v1 ConfigFile fetches a URL itself (`requests.get`); offline it reads as empty, with a warning."""
    try:
        from pulumi_kubernetes.yaml import yaml as v1_yaml  # noqa: PLC0415 - only if the program has it
    except ImportError:
        yield
        return
    saved = getattr(v1_yaml, "_read_url", None)
    if saved is None:  # an SDK without the hook; test_url_sources_are_named_in_warnings_and_left_out fails
        yield
        return

    def read_url(url: str) -> str:
        warnings.append(url_warning(url, "kubernetes.yaml.ConfigFile"))
        return ""

    v1_yaml._read_url = read_url
    try:
        yield
    finally:
        v1_yaml._read_url = saved
