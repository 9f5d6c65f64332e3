"""The pod policies judge every pulumi-kubernetes kind that carries a pod spec, found from the SDK's own
Args classes (as the AWS coverage test reads pulumi-aws), at the path the SDK puts it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pulumi_kubernetes
import pytest
from policy_testkit import record, run_policy

from policies.k8s import pods
from policies.k8s.workloads import TEMPLATE_PATHS, WORKLOAD_TYPES

SDK = Path(pulumi_kubernetes.__file__).parent
CLASS = re.compile(
    r"^class (\w+Args):\n    def __init__\(__self__, \*,\n(.*?)\):\n", re.MULTILINE | re.DOTALL
)
PARAM = re.compile(r"^\s*(\w+): (.*?)(?: = None)?,?$")
SKIPPED = ("helm", "yaml", "kustomize", "meta")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _classes(group: str, version: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Args class -> [(input name, Args classes its annotation names)] for one API group/version."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for path in sorted((SDK / group / version).glob("*.py")):
        for match in CLASS.finditer(path.read_text()):
            params = []
            for line in match.group(2).splitlines():
                if param := PARAM.match(line):
                    params.append((param.group(1), re.findall(r"'([\w.]+Args)'", param.group(2))))
            found[match.group(1)] = params
    return found


def _resolve(group: str, version: str, ref: str) -> tuple[str, str, str]:
    parts = ref.split(".")
    return (parts[0].lstrip("_"), parts[1], parts[2]) if len(parts) == 3 else (group, version, ref)


def _pod_paths(group: str, version: str, cls: str, seen: frozenset[str]) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for name, refs in _classes(group, version).get(cls, []):
        if name in ("metadata", "status"):
            continue
        for ref in refs:
            g, v, c = _resolve(group, version, ref)
            if c == "PodSpecArgs":
                paths.add((_camel(name),))
            elif (key := f"{g}/{v}/{c}") not in seen:
                paths |= {(_camel(name), *p) for p in _pod_paths(g, v, c, seen | {key})}
    return paths


def sdk_pod_kinds() -> dict[str, set[tuple[str, ...]]]:
    """Type token -> paths to its pod spec, for every resource kind of the installed SDK (Patch kinds,
    whose Args name PodSpecPatchArgs, and List kinds are not resources a pod runs from)."""
    kinds: dict[str, set[tuple[str, ...]]] = {}
    for version_dir in sorted(p for p in SDK.glob("*/*") if p.is_dir() and p.parent.name not in SKIPPED):
        group, version = version_dir.parent.name, version_dir.name
        for module in sorted(version_dir.glob("[A-Z]*.py")):
            kind = module.stem
            if kind.endswith(("List", "Patch")):
                continue
            paths = _pod_paths(group, version, f"{kind}Args", frozenset())
            if paths:
                kinds[f"kubernetes:{group}/{version}:{kind}"] = paths
    return kinds


def test_every_sdk_kind_with_a_pod_spec_is_judged_where_the_sdk_puts_it() -> None:
    kinds = sdk_pod_kinds()
    assert {"kubernetes:core/v1:ReplicationController", "kubernetes:batch/v1:CronJob"} <= set(kinds)
    assert {kind: {TEMPLATE_PATHS.get(kind)} for kind in kinds} == kinds
    assert set(kinds) == WORKLOAD_TYPES


POD_SECURITY = [
    p for p in pods.POLICIES if p.config_schema and pods.PRIVILEGED_NAMESPACES in p.config_schema.properties
]
PRIVILEGED_POD = {
    "hostNetwork": True,
    "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
    "containers": [
        {
            "name": "agent",
            "image": "agent:1.0",
            "securityContext": {
                "privileged": True,
                "procMount": "Unmasked",
                "seLinuxOptions": {"type": "spc_t"},
            },
        }
    ],
}


@pytest.mark.parametrize("kind", sorted(WORKLOAD_TYPES))
def test_a_privileged_pod_fails_baseline_on_every_kind(kind: str) -> None:
    props: dict[str, object] = {"metadata": {"name": "agent", "namespace": "apps"}}
    node: dict[str, object] = props
    for step in TEMPLATE_PATHS[kind][:-1]:
        node = node.setdefault(step, {})  # type: ignore[assignment]
    node[TEMPLATE_PATHS[kind][-1]] = PRIVILEGED_POD
    fired = {
        name
        for name in (
            "kubernetes-workload-pod-not-privileged",
            "kubernetes-workload-pod-no-host-access",
            "kubernetes-workload-pod-safe-sysctls",
            "kubernetes-workload-pod-default-proc-mount",
            "kubernetes-workload-pod-selinux-default",
        )
        if run_policy(name, [record(kind, "agent", props)])
    }
    assert len(fired) == 5, fired
    waived = {"privilegedNamespaces": ["apps"]}
    assert all(not run_policy(p.name, [record(kind, "agent", props)], {p.name: waived}) for p in POD_SECURITY)


LINUX_ONLY = (
    "kubernetes-workload-pod-no-privilege-escalation",
    "kubernetes-workload-pod-seccomp-runtime-default",
    "kubernetes-workload-pod-drop-all-capabilities",
)


@pytest.mark.parametrize("name", LINUX_ONLY)
def test_windows_pods_are_exempt_from_the_linux_only_controls_as_pss_defines(name: str) -> None:
    spec: dict[str, object] = {
        "containers": [{"name": "iis", "image": "mcr.microsoft.com/windows/servercore/iis:20240312"}]
    }
    linux = record("kubernetes:core/v1:Pod", "iis", {"metadata": {"name": "iis"}, "spec": spec})
    windows = record(
        "kubernetes:core/v1:Pod",
        "iis",
        {"metadata": {"name": "iis"}, "spec": {**spec, "os": {"name": "windows"}}},
    )
    assert run_policy(name, [linux])
    assert not run_policy(name, [windows])


def test_a_windows_host_process_pod_still_fails_baseline() -> None:
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"windowsOptions": {"hostProcess": True}},
        "hostNetwork": True,
        "containers": [{"name": "agent", "image": "agent:1.0"}],
    }
    pod = record("kubernetes:core/v1:Pod", "agent", {"metadata": {"name": "agent"}, "spec": spec})
    assert run_policy("kubernetes-workload-pod-no-windows-host-process", [pod])
