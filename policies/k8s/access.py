"""Kubernetes access policies: RBAC without wildcards or cluster-admin for broad subjects, NetworkPolicies
that actually restrict, and Services and Ingresses that are not exposed to the internet without limit or
TLS. Judged on every RBAC, networking and Service object the plan records (typed or from YAML)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, as_list, dig, resource_policy

ROLES = frozenset(
    {"kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"}
)
BINDINGS = frozenset(
    {
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    }
)
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
BROAD_GROUPS = {"system:authenticated", "system:unauthenticated", "system:serviceaccounts"}
ADMIN_ROLES = {"cluster-admin", "admin"}
# Database, cache, search and queue ports that must never face the internet.
DATA_PORTS = {
    1433: "SQL Server",
    3306: "MySQL",
    5432: "PostgreSQL",
    5672: "RabbitMQ",
    6333: "Qdrant",
    6334: "Qdrant gRPC",
    6379: "Redis",
    9042: "Cassandra",
    9092: "Kafka",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
    2379: "etcd",
}
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


REVIEWED_CLUSTER_ROLES = "reviewedClusterRoles"


def _reviewed(subject: Subject) -> Mapping[str, Any]:
    """The config entry that reviewed this ClusterRole (by metadata.name), or {} if none did.

    An entry grants nothing without a reason: the list is a record of decisions, not a switch."""
    if subject.resource_type != CLUSTER_ROLE:
        return {}
    name = subject.get("metadata", "name")
    for entry in as_list(subject.config.get(REVIEWED_CLUSTER_ROLES, [])):
        if isinstance(entry, Mapping) and entry.get("name") == name and str(entry.get("reason", "")).strip():
            return entry
    return {}


def _rbac_wildcards(subject: Subject) -> Iterator[str]:
    reviewed = _reviewed(subject)
    wildcard_groups = set(as_list(reviewed.get("wildcardVerbsOnApiGroups", [])))
    for index, rule in enumerate(as_list(subject.get("rules"))):
        groups = set(as_list(dig(rule, "apiGroups")))
        for field in ("verbs", "resources", "apiGroups"):
            if "*" not in as_list(dig(rule, field)):
                continue
            # A reviewed controller may use every verb on the API groups it manages; never '*' resources or
            # groups, which would also grant whatever a future CRD adds.
            if field == "verbs" and groups and "*" not in groups and groups <= wildcard_groups:
                continue
            yield f"grants '*' in rules[{index}].{field}"
        if subject.resource_type == CLUSTER_ROLE and "secrets" in as_list(dig(rule, "resources")):
            verbs = {"get", "list", "watch", "*"} & set(as_list(dig(rule, "verbs")))
            if verbs and not as_list(dig(rule, "resourceNames")) and reviewed.get("readsSecrets") is not True:
                yield f"can read every Secret in the cluster (rules[{index}] allows {', '.join(sorted(verbs))})"


rbac_no_wildcards = resource_policy(
    name="kubernetes-rbac-role-no-wildcards",
    description="Roles and ClusterRoles name their verbs, resources and API groups and do not read all Secrets.",
    severity=Severity.HIGH,
    remediation=(
        "List the exact verbs, resources and apiGroups; read Secrets only by resourceNames in a namespace. "
        "A controller whose job needs more is listed, with a reason, in the policy's reviewedClusterRoles."
    ),
    resource_types=ROLES,
    check=_rbac_wildcards,
    config={
        REVIEWED_CLUSTER_ROLES: {
            "type": "array",
            "default": [],
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "description": "metadata.name of the ClusterRole."},
                    "reason": {
                        "type": "string",
                        "pattern": "\\S",
                        "description": "Why its job needs the grant.",
                    },
                    "wildcardVerbsOnApiGroups": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "API groups on which rules may grant every verb.",
                    },
                    "readsSecrets": {
                        "type": "boolean",
                        "description": "May get/list/watch Secrets cluster-wide.",
                    },
                },
            },
        }
    },
)


def _broad_admin(subject: Subject) -> Iterator[str]:
    role = str(subject.get("roleRef", "name", default=""))
    for entry in as_list(subject.get("subjects")):
        kind, name = dig(entry, "kind"), str(dig(entry, "name", default=""))
        if kind == "Group" and name in BROAD_GROUPS:
            yield f"binds {role} to the group {name}, i.e. to everyone in it"
        elif role in ADMIN_ROLES and kind == "ServiceAccount":
            namespace = dig(entry, "namespace", default="?")
            yield f"binds {role} to the service account {namespace}/{name}, so any pod using it controls the cluster"


rbac_no_broad_admin = resource_policy(
    name="kubernetes-rbac-binding-no-broad-admin",
    description="cluster-admin and admin are never bound to service accounts, and no role to everyone.",
    severity=Severity.CRITICAL,
    remediation="Bind a narrow Role to the one service account that needs it; never bind system:* groups.",
    resource_types=BINDINGS,
    check=_broad_admin,
)


def _allows_all(subject: Subject) -> Iterator[str]:
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(as_list(subject.get("spec", direction))):
            if not as_list(dig(rule, peers)) and not as_list(dig(rule, "ports")):
                yield f"allows all {direction} (spec.{direction}[{index}] is empty)"
            if as_list(dig(rule, "ports")):
                continue  # limited to named ports: a deliberate opening, like egress to AWS APIs on 443
            for peer in as_list(dig(rule, peers)):
                if dig(peer, "ipBlock", "cidr") in OPEN_CIDRS and not as_list(dig(peer, "ipBlock", "except")):
                    yield f"allows {direction} on every port {'from' if direction == 'ingress' else 'to'} any address ({dig(peer, 'ipBlock', 'cidr')}) in spec.{direction}[{index}]"


network_policy_restricts = resource_policy(
    name="kubernetes-network-policy-restricts",
    description="NetworkPolicies that select pods do not allow all traffic.",
    severity=Severity.HIGH,
    remediation="Give every rule from/to peers (podSelector, namespaceSelector) and ports.",
    resource_types=[NETWORK_POLICY],
    check=_allows_all,
)


def _internal(annotations: Any) -> bool:
    if not hasattr(annotations, "get"):
        return False
    scheme = str(annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "")).lower()
    internal = str(annotations.get("service.beta.kubernetes.io/aws-load-balancer-internal", "")).lower()
    return scheme == "internal" or internal in ("true", "0.0.0.0/0")


def _internet_facing(subject: Subject) -> bool:
    """A LoadBalancer or NodePort Service that is neither internal nor limited to source ranges."""
    kind = subject.get("spec", "type")
    if kind not in ("LoadBalancer", "NodePort") or _internal(subject.get("metadata", "annotations")):
        return False
    ranges = set(as_list(subject.get("spec", "loadBalancerSourceRanges")))
    return not (kind == "LoadBalancer" and ranges and not ranges & OPEN_CIDRS)


def _service_exposure(subject: Subject) -> Iterator[str]:
    if not _internet_facing(subject):
        return
    kind = subject.get("spec", "type")
    for port in as_list(subject.get("spec", "ports")):
        number = dig(port, "port")
        if number in DATA_PORTS:
            yield f"exposes {DATA_PORTS[number]} port {number} to the internet (type {kind} without source ranges)"


service_no_public_data_port = resource_policy(
    name="kubernetes-service-no-public-data-port",
    description="Services of type LoadBalancer or NodePort never expose a database, cache or queue port to the internet.",
    severity=Severity.CRITICAL,
    remediation=(
        "Use type ClusterIP, or an internal load balancer (aws-load-balancer-scheme: internal) with "
        "loadBalancerSourceRanges limited to your networks."
    ),
    resource_types=[SERVICE],
    check=_service_exposure,
)


def _load_balancer_open(subject: Subject) -> Iterator[str]:
    if subject.get("spec", "type") != "LoadBalancer" or not _internet_facing(subject):
        return
    ports = [
        dig(p, "port") for p in as_list(subject.get("spec", "ports")) if dig(p, "port") not in DATA_PORTS
    ]
    if ports:
        listed = ", ".join(str(p) for p in ports)
        yield (
            f"opens {'port' if len(ports) == 1 else 'ports'} {listed} on an internet-facing load balancer "
            "to every address (no loadBalancerSourceRanges, no internal scheme)"
        )


service_load_balancer_source_ranges = resource_policy(
    name="kubernetes-service-load-balancer-source-ranges",
    description="Internet-facing LoadBalancer Services say who may connect (loadBalancerSourceRanges).",
    severity=Severity.MEDIUM,
    remediation=(
        "Set spec.loadBalancerSourceRanges to the networks that need the service, make the load balancer "
        "internal (aws-load-balancer-scheme: internal), or publish HTTP(S) through an Ingress with TLS."
    ),
    resource_types=[SERVICE],
    check=_load_balancer_open,
    enforcement_level=ADVISORY,
)


def _alb_terminates_tls(annotations: Any) -> bool:
    """An AWS Load Balancer Controller Ingress with a certificate that serves HTTPS only or redirects to it."""
    if not isinstance(annotations, Mapping) or not annotations.get(
        "alb.ingress.kubernetes.io/certificate-arn"
    ):
        return False
    ports = str(annotations.get("alb.ingress.kubernetes.io/listen-ports", ""))
    plain = '"HTTP"' in ports or not ports  # the controller listens on HTTP 80 when listen-ports is unset
    return not plain or bool(annotations.get("alb.ingress.kubernetes.io/ssl-redirect"))


def _ingress_tls(subject: Subject) -> Iterator[str]:
    if _alb_terminates_tls(subject.get("metadata", "annotations")):
        return
    hosts = {h for rule in as_list(subject.get("spec", "rules")) if (h := dig(rule, "host"))}
    tls_hosts = {h for entry in as_list(subject.get("spec", "tls")) for h in as_list(dig(entry, "hosts"))}
    if not as_list(subject.get("spec", "tls")):
        yield "serves its hosts without TLS (spec.tls is empty)"
    elif hosts - tls_hosts:
        yield f"serves {', '.join(sorted(hosts - tls_hosts))} without TLS"


ingress_tls = resource_policy(
    name="kubernetes-ingress-all-hosts-tls",
    description="Ingresses terminate TLS for every host they serve.",
    severity=Severity.HIGH,
    remediation="Add spec.tls with every host (and a certificate: secretName or the ALB certificate-arn annotation).",
    resource_types=[INGRESS],
    check=_ingress_tls,
    enforcement_level=ADVISORY,
)

POLICIES = [
    rbac_no_wildcards,
    rbac_no_broad_admin,
    network_policy_restricts,
    service_no_public_data_port,
    service_load_balancer_source_ranges,
    ingress_tls,
]
