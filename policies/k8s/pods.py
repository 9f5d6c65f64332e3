"""Pod-template policies for every workload kind: the Pod Security Standards "restricted" profile, no
host access, pinned images, resources, probes, service-account tokens and spread of replicas."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from policies.framework import ADVISORY, MANDATORY, Subject, as_list, dig, resource_policy
from policies.k8s.workloads import (
    LONG_RUNNING_TYPES,
    REPLICATED_TYPES,
    WORKLOAD_TYPES,
    Container,
    containers,
    namespace_of,
    pod_spec,
    replicas,
)

# Pod Security admission admits any pod in a namespace labelled `enforce: privileged`; the pack's config
# lists those namespaces (the offline plan's `podSecurity.privilegedNamespaces` says which they are).
PRIVILEGED_NAMESPACES = "privilegedNamespaces"
_PRIVILEGED_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "Namespaces labelled pod-security.kubernetes.io/enforce=privileged, exempt from this rule.",
}
PodCheck = Callable[[Subject, Mapping[str, Any]], Iterator[str]]
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


def _workload_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    check: PodCheck,
    enforcement_level: EnforcementLevel = MANDATORY,
    resource_types: frozenset[str] = WORKLOAD_TYPES,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    pod_security: bool = False,
) -> ResourceValidationPolicy:
    """`pod_security`: a Pod Security "restricted" rule, which a namespace enforcing "privileged" waives."""

    def run(subject: Subject) -> Iterator[str]:
        spec = pod_spec(subject.resource_type, subject.props)
        if spec is None:
            yield "has no pod template spec to check"
            return
        if pod_security and namespace_of(subject.props) in as_list(subject.config.get(PRIVILEGED_NAMESPACES)):
            return
        yield from check(subject, spec)

    if pod_security:
        config = {**(config or {}), PRIVILEGED_NAMESPACES: _PRIVILEGED_SCHEMA}

    return resource_policy(
        name=name,
        description=description,
        severity=severity,
        remediation=remediation,
        resource_types=resource_types,
        check=run,
        enforcement_level=enforcement_level,
        config=config,
    )


def _effective(spec: Mapping[str, Any], container: Container, key: str) -> Any:
    own = dig(container.spec, "securityContext", key)
    return own if own is not None else dig(spec, "securityContext", key)


def _non_root(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        if _effective(spec, container, "runAsNonRoot") is not True:
            yield f"lets {container.kind} {container.name} run as root (runAsNonRoot is not true)"
        user = _effective(spec, container, "runAsUser")
        if user == 0:
            yield f"runs {container.kind} {container.name} as UID 0"
        elif user is None:
            yield (
                f"sets no runAsUser for {container.kind} {container.name}, so an image whose default user is "
                "root (or a name) cannot start under runAsNonRoot"
            )


run_as_non_root = _workload_policy(
    name="kubernetes-workload-pod-run-as-non-root",
    description="Pods run as a non-root user (PSS restricted).",
    severity=Severity.HIGH,
    remediation="Set securityContext.runAsNonRoot=true and a non-zero runAsUser on the pod or container.",
    check=_non_root,
    pod_security=True,
)


def _no_escalation(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        context = dig(container.spec, "securityContext", default={})
        if dig(context, "allowPrivilegeEscalation") is not False:
            yield f"does not set allowPrivilegeEscalation=false on {container.kind} {container.name}"
        if dig(context, "privileged") is True:
            yield f"runs {container.kind} {container.name} privileged"


no_privilege_escalation = _workload_policy(
    name="kubernetes-workload-pod-no-privilege-escalation",
    description="Containers are unprivileged and cannot escalate privileges (PSS restricted).",
    severity=Severity.HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation=false and privileged=false on every container.",
    check=_no_escalation,
    pod_security=True,
)


def _seccomp(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        profile = dig(container.spec, "securityContext", "seccompProfile", "type") or dig(
            spec, "securityContext", "seccompProfile", "type"
        )
        if profile not in ("RuntimeDefault", "Localhost"):
            yield f"runs {container.kind} {container.name} with seccomp profile {profile or 'unset'}"


seccomp_runtime_default = _workload_policy(
    name="kubernetes-workload-pod-seccomp-runtime-default",
    description="Pods use the RuntimeDefault seccomp profile (PSS restricted).",
    severity=Severity.MEDIUM,
    remediation="Set spec.securityContext.seccompProfile.type=RuntimeDefault.",
    check=_seccomp,
    pod_security=True,
)


def _capabilities(_subject: Subject, spec: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(spec):
        caps = dig(container.spec, "securityContext", "capabilities", default={})
        if "ALL" not in as_list(dig(caps, "drop")):
            yield f"does not drop ALL capabilities on {container.kind} {container.name}"
        extra = [c for c in as_list(dig(caps, "add")) if c != "NET_BIND_SERVICE"]
        if extra:
            yield f"adds capabilities {extra} to {container.kind} {container.name}"


drop_all_capabilities = _workload_policy(
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


allowed_volume_types = _workload_policy(
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


no_host_access = _workload_policy(
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


image_pinned = _workload_policy(
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


resources_set = _workload_policy(
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


probes_set = _workload_policy(
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


service_account_token = _workload_policy(
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


replicas_spread = _workload_policy(
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
]
