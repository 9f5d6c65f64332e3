"""A compliant Deployment (and its NetworkPolicy and PDB) that corpus programs change one field of."""

from __future__ import annotations

import copy
from typing import Any

import pulumi_kubernetes as k8s

LABELS = {"app": "web"}
CONTAINER: dict[str, Any] = {
    "name": "web",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    "ports": [{"containerPort": 8080}],
    "env": [{"name": "LOG_LEVEL", "value": "info"}],
}
POD: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "serviceAccountName": "web",
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [CONTAINER],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": LABELS},
        }
    ],
}


def pod(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(POD)
    spec.update(changes)
    return spec


def container(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(CONTAINER)
    spec.update(changes)
    return spec


def deployment(
    spec: dict[str, Any] | None = None, replicas: int = 3, guard: bool = True
) -> k8s.apps.v1.Deployment:
    """The Deployment, plus (``guard``) the NetworkPolicy and PodDisruptionBudget that cover it."""
    if guard:
        k8s.networking.v1.NetworkPolicy(
            "web",
            metadata={"name": "web", "namespace": "web"},
            spec={"podSelector": {"matchLabels": LABELS}, "policyTypes": ["Ingress", "Egress"]},
        )
        k8s.policy.v1.PodDisruptionBudget(
            "web",
            metadata={"name": "web", "namespace": "web"},
            spec={"maxUnavailable": 1, "selector": {"matchLabels": LABELS}},
        )
    return k8s.apps.v1.Deployment(
        "web",
        metadata={"name": "web", "namespace": "web"},
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": spec or pod()},
        },
    )


def workload(kind: str, spec: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> Any:
    """A ``kind`` (Pod, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job, CronJob) running the
    pod spec, with pod ``annotations``, and the NetworkPolicy that selects it."""
    k8s.networking.v1.NetworkPolicy(
        "web",
        metadata={"name": "web", "namespace": "web"},
        spec={"podSelector": {"matchLabels": LABELS}, "policyTypes": ["Ingress", "Egress"]},
    )
    spec = spec or pod()
    metadata = {"name": "web", "namespace": "web"}
    template = {"metadata": {"labels": LABELS, "annotations": annotations or {}}, "spec": spec}
    selector = {"matchLabels": LABELS}
    if kind == "Pod":
        return k8s.core.v1.Pod(
            "web", metadata={**metadata, "labels": LABELS, "annotations": annotations or {}}, spec=spec
        )
    if kind == "ReplicationController":
        return k8s.core.v1.ReplicationController(
            "web", metadata=metadata, spec={"replicas": 1, "selector": LABELS, "template": template}
        )
    if kind == "Job":
        template["spec"] = {**spec, "restartPolicy": "Never"}
        return k8s.batch.v1.Job("web", metadata=metadata, spec={"template": template})
    if kind == "CronJob":
        template["spec"] = {**spec, "restartPolicy": "Never"}
        return k8s.batch.v1.CronJob(
            "web",
            metadata=metadata,
            spec={"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}},
        )
    classes = {
        "DaemonSet": k8s.apps.v1.DaemonSet,
        "StatefulSet": k8s.apps.v1.StatefulSet,
        "ReplicaSet": k8s.apps.v1.ReplicaSet,
    }
    extra = {"serviceName": "web"} if kind == "StatefulSet" else {}
    return classes[kind]("web", metadata=metadata, spec={"selector": selector, "template": template, **extra})
