"""Pod-template policies for every workload kind: the Pod Security Standards "restricted" profile, no
host access, pinned images, resources, probes, service-account tokens and spread of replicas."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, as_list, dig
from policies.k8s.pod_security import BASELINE_POLICIES
from policies.k8s.workloads import (
    LONG_RUNNING_TYPES,
    PRIVILEGED_NAMESPACES,
    REPLICATED_TYPES,
    Container,
    containers,
    replicas,
    workload_policy,
)

__all__ = ["POLICIES", "PRIVILEGED_NAMESPACES"]

ALLOWED_VOLUME_TYPES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
)


def _effective(spec: Mapping[str, Any], container: Container, key: str) -> Any:
    own = dig(container.spec, "securityContext", key)
    return own if own is not None else dig(spec, "securityContext", key)


def _non_root(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    # PSS "Running as Non-root": each container's runAsNonRoot, or the pod's when the container leaves it
    # unset, is true. "Running as Non-root user": runAsUser is 0 nowhere, pod level included.
    if dig(spec, "securityContext", "runAsUser") == 0:
        yield "runs the pod as UID 0 (spec.securityContext.runAsUser=0)"
    for container in containers(spec):
        if _effective(spec, container, "runAsNonRoot") is not True:
            yield f"lets {container.kind} {container.name} run as root (runAsNonRoot is not true)"
        if dig(container.spec, "securityContext", "runAsUser") == 0:
            yield f"runs {container.kind} {container.name} as UID 0"


run_as_non_root = workload_policy(
    name="kubernetes-workload-pod-run-as-non-root",
    description="Pods run as a non-root user (PSS restricted: running as non-root, non-root user).",
    severity=Severity.HIGH,
    remediation="Set securityContext.runAsNonRoot=true and a non-zero runAsUser on the pod or container.",
    check=_non_root,
    pod_security=True,
)


def _numeric_user(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        if _effective(spec, container, "runAsUser") is None:
            yield (
                f"sets no runAsUser for {container.kind} {container.name}, so under runAsNonRoot an image "
                "whose default user is root or a name cannot start"
            )


numeric_run_as_user = workload_policy(
    name="kubernetes-workload-pod-numeric-run-as-user",
    description="Every container runs as an explicit numeric UID, so runAsNonRoot can be verified at start.",
    severity=Severity.MEDIUM,
    remediation="Set a non-zero securityContext.runAsUser (and runAsGroup) on the pod or on every container.",
    check=_numeric_user,
    enforcement_level=ADVISORY,
    pod_security=True,
)


def _windows_pod(spec: Mapping[str, Any]) -> bool:
    """PSS exempts pods with spec.os.name=windows from the Linux-only controls (privilege escalation,
    seccomp, capabilities)."""
    return bool(dig(spec, "os", "name") == "windows")


def _no_escalation(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    if _windows_pod(spec):
        return
    for container in containers(spec):
        if dig(container.spec, "securityContext", "allowPrivilegeEscalation") is not False:
            yield f"does not set allowPrivilegeEscalation=false on {container.kind} {container.name}"


no_privilege_escalation = workload_policy(
    name="kubernetes-workload-pod-no-privilege-escalation",
    description="Containers cannot gain more privileges than their parent process (PSS restricted).",
    severity=Severity.HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation=false on every container, init and ephemeral ones too.",
    check=_no_escalation,
    pod_security=True,
)

SECCOMP_ALLOWED = ("RuntimeDefault", "Localhost")


def _seccomp(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    # Baseline forbids Unconfined anywhere; restricted also requires a profile on the pod or on every
    # container (a container's own profile overrides the pod's).
    if _windows_pod(spec):
        return
    pod_profile = dig(spec, "securityContext", "seccompProfile", "type")
    if pod_profile is not None and pod_profile not in SECCOMP_ALLOWED:
        yield f"sets the pod's seccomp profile to {pod_profile}"
    for container in containers(spec):
        own = dig(container.spec, "securityContext", "seccompProfile", "type")
        profile = own if own is not None else pod_profile
        if profile not in SECCOMP_ALLOWED and not (own is None and pod_profile is not None):
            yield f"runs {container.kind} {container.name} with seccomp profile {profile or 'unset'}"


seccomp_runtime_default = workload_policy(
    name="kubernetes-workload-pod-seccomp-runtime-default",
    description="Pods use the RuntimeDefault or a Localhost seccomp profile, never Unconfined (PSS restricted).",
    severity=Severity.MEDIUM,
    remediation="Set spec.securityContext.seccompProfile.type=RuntimeDefault.",
    check=_seccomp,
    pod_security=True,
)


def _capabilities(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    if _windows_pod(spec):
        return
    for container in containers(spec):
        caps = dig(container.spec, "securityContext", "capabilities", default={})
        if "ALL" not in as_list(dig(caps, "drop")):
            yield f"does not drop ALL capabilities on {container.kind} {container.name}"
        extra = [c for c in as_list(dig(caps, "add")) if c != "NET_BIND_SERVICE"]
        if extra:
            yield f"adds capabilities {extra} to {container.kind} {container.name}"


drop_all_capabilities = workload_policy(
    name="kubernetes-workload-pod-drop-all-capabilities",
    description="Containers drop ALL Linux capabilities and add back at most NET_BIND_SERVICE (PSS restricted).",
    severity=Severity.HIGH,
    remediation="Set securityContext.capabilities.drop=['ALL'] and add only NET_BIND_SERVICE if needed.",
    check=_capabilities,
    pod_security=True,
)


def _volumes(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for volume in as_list(spec.get("volumes")):
        kinds = [k for k in volume if k != "name"] if isinstance(volume, Mapping) else []
        for kind in kinds:
            if kind not in ALLOWED_VOLUME_TYPES:
                yield f"mounts volume {dig(volume, 'name', default='?')} of disallowed type {kind}"


allowed_volume_types = workload_policy(
    name="kubernetes-workload-pod-allowed-volume-types",
    description="Pods use only the volume types PSS restricted allows.",
    severity=Severity.HIGH,
    remediation=f"Use only {', '.join(ALLOWED_VOLUME_TYPES)} volumes.",
    check=_volumes,
    pod_security=True,
)


def _host_access(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            yield f"sets {key}=true"
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, Mapping) and "hostPath" in volume:
            yield f"mounts hostPath volume {volume.get('name', '?')}"
    for container in containers(spec):
        for port in as_list(container.spec.get("ports")):
            if dig(port, "hostPort"):
                yield f"binds hostPort {dig(port, 'hostPort')} in {container.kind} {container.name}"


no_host_access = workload_policy(
    name="kubernetes-workload-pod-no-host-access",
    description="Pods share no host namespace, path or port.",
    severity=Severity.CRITICAL,
    remediation="Remove hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort; use Services and PVCs.",
    check=_host_access,
    pod_security=True,
)

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problem(image: str) -> str | None:
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (implicitly :latest)"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() in ("latest", "stable", "main", "master"):
        return f"uses the floating tag :{tag}"
    return None


def _images(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        image = container.spec.get("image")
        if not image:
            yield f"has no image on {container.kind} {container.name}"
            continue
        problem = image_problem(str(image))
        if problem:
            yield f"runs image {image} in {container.kind} {container.name}, which {problem}"


image_pinned = workload_policy(
    name="kubernetes-workload-container-image-pinned",
    description="Container images are pinned to a version tag or digest, never latest or untagged.",
    severity=Severity.HIGH,
    remediation="Pin every image to an immutable version tag or an @sha256 digest.",
    check=_images,
)


def _resources(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        if container.kind == "ephemeralContainer":
            continue
        for section in ("requests", "limits"):
            missing = [r for r in ("cpu", "memory") if not dig(container.spec, "resources", section, r)]
            if missing:
                yield f"sets no {section} for {missing} on {container.kind} {container.name}"


resources_set = workload_policy(
    name="kubernetes-workload-container-resources",
    description="Containers declare CPU and memory requests and limits.",
    severity=Severity.MEDIUM,
    remediation="Set resources.requests and resources.limits for cpu and memory on every container.",
    check=_resources,
    enforcement_level=ADVISORY,
)


def _probes(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        if container.kind != "container":
            continue
        missing = [p for p in ("readinessProbe", "livenessProbe") if not container.spec.get(p)]
        if missing:
            yield f"has no {' or '.join(missing)} on container {container.name}"


probes_set = workload_policy(
    name="kubernetes-workload-container-probes",
    description="Long-running containers have readiness and liveness probes.",
    severity=Severity.MEDIUM,
    remediation="Add readinessProbe and livenessProbe (httpGet, tcpSocket, grpc or exec) to every container.",
    check=_probes,
    enforcement_level=ADVISORY,
    resource_types=LONG_RUNNING_TYPES,
)


def _token(subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    allowed = set(as_list(subject.config.get("tokenAllowedServiceAccounts", [])))
    account = spec.get("serviceAccountName") or "default"
    if spec.get("automountServiceAccountToken") is not False and account not in allowed:
        yield f"mounts a Kubernetes API token for service account {account}, which is not on the allow-list"


service_account_token = workload_policy(
    name="kubernetes-workload-pod-service-account-token",
    description="Pods mount a Kubernetes API token only when their service account is allow-listed.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set automountServiceAccountToken=false on the pod spec, or add the service account to the policy's "
        "tokenAllowedServiceAccounts if it calls the Kubernetes API (IRSA tokens are mounted separately)."
    ),
    check=_token,
    config={"tokenAllowedServiceAccounts": {"type": "array", "items": {"type": "string"}, "default": []}},
)


def _spread(subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    if replicas(subject.props) < 2:
        return
    anti = dig(spec, "affinity", "podAntiAffinity")
    if not anti and not spec.get("topologySpreadConstraints"):
        yield f"runs {replicas(subject.props)} replicas with no podAntiAffinity or topologySpreadConstraints"


replicas_spread = workload_policy(
    name="kubernetes-workload-replicas-spread",
    description="Multi-replica workloads spread their pods across nodes and zones.",
    severity=Severity.MEDIUM,
    remediation="Add topologySpreadConstraints on topology.kubernetes.io/zone (or podAntiAffinity by hostname).",
    check=_spread,
    enforcement_level=ADVISORY,
    resource_types=REPLICATED_TYPES,
)

POLICIES = [
    run_as_non_root,
    numeric_run_as_user,
    no_privilege_escalation,
    seccomp_runtime_default,
    drop_all_capabilities,
    allowed_volume_types,
    no_host_access,
    image_pinned,
    resources_set,
    probes_set,
    service_account_token,
    replicas_spread,
    *BASELINE_POLICIES,
]
