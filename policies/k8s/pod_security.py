"""The Pod Security Standards "baseline" controls that the restricted rules in ``pods.py`` do not already
imply: privileged containers, Windows HostProcess, AppArmor, SELinux, /proc mount type and sysctls.

Each follows the control list of kubernetes.io/docs/concepts/security/pod-security-standards: the same
restricted fields (pod level, and every container, init container and ephemeral container) and the same
allowed values. Host namespaces, host ports and hostPath (``no-host-access``), capabilities
(``drop-all-capabilities``, stricter than baseline's list) and seccomp (``seccomp-runtime-default``, which
also rejects Unconfined) are in ``pods.py``. A namespace labelled ``enforce: privileged`` waives them all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.framework import Subject, as_list, dig
from policies.k8s.workloads import containers, pod_metadata, workload_policy

APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
APPARMOR_TYPES = ("RuntimeDefault", "Localhost")
SELINUX_TYPES = ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
)


def _contexts(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """("the pod", pod securityContext), then ("<kind> <name>", container securityContext) for each."""
    pod = dig(spec, "securityContext", default={})
    yield "the pod", pod if isinstance(pod, Mapping) else {}
    for container in containers(spec):
        own = dig(container.spec, "securityContext", default={})
        yield f"{container.kind} {container.name}", own if isinstance(own, Mapping) else {}


def _privileged(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        if dig(container.spec, "securityContext", "privileged") is True:
            yield f"runs {container.kind} {container.name} privileged"


not_privileged = workload_policy(
    name="kubernetes-workload-pod-not-privileged",
    description="No container runs privileged (PSS baseline: privileged containers).",
    severity=Severity.CRITICAL,
    remediation=(
        "Remove securityContext.privileged (or set it to false) and grant only the capability the "
        "container needs; a node agent that truly needs it belongs in a namespace labelled privileged."
    ),
    check=_privileged,
    pod_security=True,
)


def _host_process(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for where, context in _contexts(spec):
        if dig(context, "windowsOptions", "hostProcess") is True:
            yield f"runs {where} as a Windows HostProcess container (windowsOptions.hostProcess=true)"


no_host_process = workload_policy(
    name="kubernetes-workload-pod-no-windows-host-process",
    description="No pod or container runs as a Windows HostProcess container (PSS baseline: HostProcess).",
    severity=Severity.CRITICAL,
    remediation="Remove securityContext.windowsOptions.hostProcess (or set it to false) on the pod and containers.",
    check=_host_process,
    pod_security=True,
)


def _apparmor(subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    annotations = pod_metadata(subject.resource_type, subject.props, "annotations")
    for key, value in annotations.items():
        if str(key).startswith(APPARMOR_ANNOTATION):
            text = str(value)
            if text and text != "runtime/default" and not text.startswith("localhost/"):
                container = str(key).removeprefix(APPARMOR_ANNOTATION)
                yield f"sets AppArmor profile {text} on container {container} (annotation {key})"
    for where, context in _contexts(spec):
        kind = dig(context, "appArmorProfile", "type")
        if kind is not None and kind not in APPARMOR_TYPES:
            yield f"sets AppArmor profile {kind} on {where} (securityContext.appArmorProfile.type)"


apparmor_confined = workload_policy(
    name="kubernetes-workload-pod-apparmor-confined",
    description="No pod or container disables AppArmor (PSS baseline: AppArmor).",
    severity=Severity.HIGH,
    remediation=(
        "Leave AppArmor at the runtime default: remove the Unconfined profile, or use "
        "securityContext.appArmorProfile.type=RuntimeDefault (or Localhost with a reviewed profile)."
    ),
    check=_apparmor,
    pod_security=True,
)


def _selinux(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for where, context in _contexts(spec):
        options = dig(context, "seLinuxOptions", default={})
        if not isinstance(options, Mapping):
            continue
        kind = options.get("type")
        if kind is not None and kind not in SELINUX_TYPES:
            yield f"sets SELinux type {kind} on {where}"
        for field in ("user", "role"):
            if options.get(field):
                yield f"sets a custom SELinux {field} {options[field]} on {where}"


selinux_default = workload_policy(
    name="kubernetes-workload-pod-selinux-default",
    description="No pod or container sets a custom SELinux user or role, or a type outside the container types "
    "(PSS baseline: SELinux).",
    severity=Severity.HIGH,
    remediation=(
        "Remove seLinuxOptions.user and .role, and leave seLinuxOptions.type unset or one of container_t, "
        "container_init_t, container_kvm_t, container_engine_t."
    ),
    check=_selinux,
    pod_security=True,
)


def _proc_mount(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        mount = dig(container.spec, "securityContext", "procMount")
        if mount is not None and mount != "Default":
            yield f"mounts /proc unmasked in {container.kind} {container.name} (procMount={mount})"


default_proc_mount = workload_policy(
    name="kubernetes-workload-pod-default-proc-mount",
    description="Containers keep the default masked /proc (PSS baseline: /proc mount type).",
    severity=Severity.HIGH,
    remediation="Remove securityContext.procMount or set it to Default.",
    check=_proc_mount,
    pod_security=True,
)


def _sysctls(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for entry in as_list(dig(spec, "securityContext", "sysctls")):
        name = dig(entry, "name")
        if name is not None and name not in SAFE_SYSCTLS:
            yield f"sets the sysctl {name}, which is not in the safe set and can affect the whole node"


safe_sysctls = workload_policy(
    name="kubernetes-workload-pod-safe-sysctls",
    description="Pods set only the namespaced, safe sysctls (PSS baseline: sysctls).",
    severity=Severity.HIGH,
    remediation=f"Set only the safe sysctls ({', '.join(SAFE_SYSCTLS)}); tune the node itself for anything else.",
    check=_sysctls,
    pod_security=True,
)

BASELINE_POLICIES = [
    not_privileged,
    no_host_process,
    apparmor_confined,
    selinux_default,
    default_proc_mount,
    safe_sysctls,
]
