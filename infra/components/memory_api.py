"""`MemoryApi`: the memory API's image repository, namespace, Deployment and public endpoint.

Defaults and why:
- Images: an ECR repository with scan on push, immutable tags and a lifecycle policy. CI builds
  `app/`, pushes it tagged with the commit SHA, and names it in the stack file
  (`pulumi config set --path memory-platform:memoryApi.image <sha or sha256:digest>`). Tags cannot be
  overwritten, so the Deployment always runs an immutable reference; `latest` is refused by config.
  Until an image is named, only the repository (CI's push target) and namespace exist.
- Secrets: the app reads the RDS-managed database credentials and the Redis AUTH token from
  Secrets Manager at start, through an IRSA role that may read exactly those two secrets. Their
  values never enter Pulumi state, etcd or the pod spec. The Qdrant API key comes from the
  Kubernetes Secret the Qdrant component generates (`secretKeyRef`).
- Pods: Pod Security "restricted" (namespace enforced), read-only root filesystem with emptyDirs for
  `MEMORY_API_DATA_DIR` and /tmp, startup/liveness/readiness probes on the app's health endpoints,
  on the application pool, spread across zones; rolling updates never drop below the desired count.
- Scale: an HPA on CPU and memory owns the replica count after creation; a PDB keeps all but one.
- Network: default deny in the namespace; ingress only from the load balancer (VPC addresses, IP
  targets) and Prometheus; egress only to DNS, Aurora, Redis, Qdrant, the OTLP collector and
  AWS APIs over HTTPS (Secrets Manager, STS).
- Exposure: an ALB Ingress (AWS Load Balancer Controller) with the configured ACM certificate, TLS 1.3
  policy, and HTTP redirected to HTTPS; a ServiceMonitor for /metrics. With DNS failover the Ingress
  also answers for the region's own name (`regional_host`), the name Route 53's health check sends as
  Host; `load_balancer_hostname` is the ALB's DNS name from the Ingress's status, which that regional
  name points at.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, StrInput, encryption_key, policy_json
from infra.components._kubernetes import (
    default_deny,
    dns_egress,
    pods_in,
    pool_placement,
    prometheus_peer,
    restricted_namespace,
    service_monitor,
)
from infra.components.eks import EksCluster
from infra.components.eks_nodes import NodePool
from infra.components.memory_api_config import MemoryApiConfig, lifecycle_rules
from infra.components.replicas import ImageReplica, ImageReplication, ImageReplicationArgs
from infra.contracts import API_READINESS_PATH
from infra.standards import restricted_container_security_context, restricted_pod_security_context, tcp
from infra.tagging import aws_tags, k8s_labels

NAME = "memory-api"
NAMESPACE = "memory"
PORT = 8000
POD_LABELS = {"app.kubernetes.io/name": NAME}
USER_ID = 10001
DATA_DIR = "/var/lib/memory-api"
# The image's own entrypoint: uvicorn with graceful shutdown, bound to MEMORY_API_HOST:MEMORY_API_PORT.
READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
PRE_STOP_SECONDS = 10
COMMAND = ["memory-api"]
ARGS = ["serve"]
PROBE_PATHS = {"startup": "/health/startup", "liveness": "/health/live", "readiness": API_READINESS_PATH}
OTLP_PORT = 4318  # OTLP over HTTP, which the API exports with

# Every setting the app reads, by role; the one place their names live (prefix MEMORY_API_).
ENV_VARS = {
    "environment": "MEMORY_API_ENVIRONMENT",
    "database_host": "MEMORY_API_DATABASE_HOST",
    "database_port": "MEMORY_API_DATABASE_PORT",
    "database_name": "MEMORY_API_DATABASE_NAME",
    "database_secret_arn": "MEMORY_API_DATABASE_SECRET_ARN",
    "redis_url": "MEMORY_API_REDIS_URL",
    "redis_auth_secret_arn": "MEMORY_API_REDIS_AUTH_SECRET_ARN",
    "qdrant_url": "MEMORY_API_QDRANT_URL",
    "qdrant_api_key": "MEMORY_API_QDRANT_API_KEY",
    "otlp_endpoint": "MEMORY_API_OTLP_ENDPOINT",
    "data_dir": "MEMORY_API_DATA_DIR",
    "host": "MEMORY_API_HOST",
    "port": "MEMORY_API_PORT",
    "load_balancer_cidrs": "MEMORY_API_LOAD_BALANCER_CIDRS",
}


class QdrantEndpoint(ComponentArgs):
    """Where the API finds Qdrant: URL, namespace, pod labels and the API-key Secret."""

    url: str
    namespace: str
    pod_labels: dict[str, str]
    api_key_secret_name: str
    api_key_secret_field: str
    http_port: int
    grpc_port: int


class MemoryApiArgs(ComponentArgs):
    config: MemoryApiConfig
    environment: str
    region: str
    cluster: EksCluster
    node_pool: NodePool
    vpc_cidr: StrInput
    # The load balancer's subnets: the API believes X-Forwarded-For only from these networks.
    load_balancer_cidrs: tuple[str, ...] = ()
    database_writer_endpoint: StrInput
    database_port: StrInput
    database_secret_arn: StrInput
    redis_endpoint: StrInput
    redis_port: StrInput
    redis_auth_secret_arn: StrInput
    secrets_kms_key_arns: tuple[StrInput, ...] = ()
    qdrant: QdrantEndpoint
    ingress_class: str
    # The controller serving `ingress_class`: the Ingress is created after it and deleted before it, so
    # the controller is still there to clear its finalizer and delete the ALB.
    ingress_controller: pulumi.Resource | None = None
    otlp_endpoint: str | None  # the OTLP/HTTP collector the API sends traces to; None: no tracing
    monitoring_crds: pulumi.Resource | None = None  # the release installing the ServiceMonitor CRD
    # The region's own name (`infra.contracts.regional_hostname`), served besides `config.host` when the
    # API hostname fails over between regions; Route 53's health check of the region sends it as Host.
    regional_host: str | None = None
    image_replica: ImageReplica | None = None  # replicate the image repository there (DR region)
    # False where no Prometheus operator runs (the DR region's pilot light): no ServiceMonitor.
    monitoring: bool = True
    # The Deployment's size when created (later the HPA's or the operator's); None: config.minReplicas.
    initial_replicas: int | None = None
    # An existing repository to run the image from (the DR region's ECR replica); None creates one.
    image_repository_url: StrInput | None = None
    tags: dict[str, str]


class MemoryApi(pulumi.ComponentResource):
    """ECR repository, namespace, IRSA service account, Deployment, HPA, PDB, policies, Ingress."""

    repository_url: pulumi.Output[str]
    namespace: str
    image: pulumi.Output[str] | None
    # The ALB's DNS name (Ingress status.loadBalancer.ingress[0].hostname); None without an Ingress.
    load_balancer_hostname: pulumi.Output[str] | None

    def __init__(self, name: str, args: MemoryApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:workloads:MemoryApi", name, None, opts)
        config, cluster = args.config, args.cluster
        provider = cluster.provider
        labels = k8s_labels("api", NAME)
        self.namespace = NAMESPACE

        self.replica_repository_url: pulumi.Output[str] | None = None
        self.repository_url = (
            pulumi.Output.from_input(args.image_repository_url)
            if args.image_repository_url is not None
            else self._repository(name, args)
        )

        # The load balancer controller adds a readiness gate to pods of labelled namespaces: with
        # target-type ip a rollout then waits until new pods are healthy targets before old ones go.
        namespace_labels = {**labels, READINESS_GATE_LABEL: "enabled"}
        namespace = restricted_namespace(f"{name}-namespace", NAMESPACE, namespace_labels, provider, self)
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        secret_arns = [args.database_secret_arn, args.redis_auth_secret_arn]
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": secret_arns,
            }
        ]
        if args.secrets_kms_key_arns:
            statements.append(
                {
                    "Sid": "DecryptOwnSecrets",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": list(args.secrets_kms_key_arns),
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}
                    },
                }
            )
        role = cluster.service_account_role(
            f"{name}-app",
            namespace=NAMESPACE,
            service_account=NAME,
            policy=policy_json(statements),
            parent=self,
        )
        k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": NAME,
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            opts=child,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels},
            spec=cast(
                Any,
                {
                    "type": "ClusterIP",
                    "selector": POD_LABELS,
                    "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
                },
            ),
            opts=child,
        )
        self._network_policies(name, args, labels)

        self.image = None
        self.load_balancer_hostname = None
        if config.image is not None:
            separator = "@" if config.image.startswith("sha256:") else ":"
            self.image = pulumi.Output.concat(self.repository_url, separator, config.image)
            self._workload(name, args, labels, self.image, child)
            ingress = self._ingress(name, args, labels, service, child)
            # None until the controller has provisioned the ALB (a real `up` waits for it).
            self.load_balancer_hostname = cast(
                pulumi.Output[str], ingress.status.apply(load_balancer_hostname)
            )
        if args.monitoring:
            service_monitor(
                f"{name}-service-monitor",
                object_name=NAME,
                namespace=NAMESPACE,
                selector_labels=labels,
                port="http",
                labels=labels,
                provider=provider,
                parent=self,
                crds=args.monitoring_crds,
            )
        self.register_outputs(
            {
                "repositoryUrl": self.repository_url,
                "image": self.image,
                "roleArn": role.arn,
                "loadBalancerHostname": self.load_balancer_hostname,
            }
        )

    def _repository(self, name: str, args: MemoryApiArgs) -> pulumi.Output[str]:
        images_key = encryption_key(
            f"{name}-images", description=f"Encrypts the {name} image repository", tags=args.tags, parent=self
        )
        repository = aws.ecr.Repository(
            f"{name}-images",
            name=f"{name}/memory-api",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": images_key.arn}],
            tags=aws_tags(args.tags, f"{name}-images"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-images",
            repository=repository.name,
            policy=json.dumps(lifecycle_rules(args.config.kept_images)),
            opts=pulumi.ResourceOptions(parent=repository),
        )
        # The same images in the DR region (ECR replication), for the pods there.
        if args.image_replica is not None:
            self.replica_repository_url = ImageReplication(
                f"{name}-images",
                ImageReplicationArgs(
                    repository=repository,
                    prefix=name,
                    target=args.image_replica,
                    lifecycle=lifecycle_rules(args.config.kept_images),
                    tags=args.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            ).replica_repository_url
        return repository.repository_url

    def _workload(
        self,
        name: str,
        args: MemoryApiArgs,
        labels: dict[str, str],
        image: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        config = args.config
        container = {
            "name": NAME,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "command": COMMAND,
            "args": ARGS,
            "env": environment(args),
            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
            "startupProbe": _probe(PROBE_PATHS["startup"], failures=30),
            "livenessProbe": _probe(PROBE_PATHS["liveness"], failures=3),
            "readinessProbe": _probe(PROBE_PATHS["readiness"], failures=3),
            # Keep serving while the ALB deregisters the pod's IP (kubelet's own sleep, no shell needed).
            "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}},
            "resources": config.resources.as_kubernetes(),
            "securityContext": restricted_container_security_context(
                USER_ID, USER_ID, explicit_unprivileged=True
            ),
            "volumeMounts": [
                {"name": "data", "mountPath": DATA_DIR},
                {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - an emptyDir
            ],
        }
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels},
            spec=cast(
                Any,
                {
                    "replicas": (
                        config.min_replicas if args.initial_replicas is None else args.initial_replicas
                    ),
                    "revisionHistoryLimit": 5,
                    "selector": {"matchLabels": POD_LABELS},
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"},
                    },
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "serviceAccountName": NAME,
                            # IRSA's web-identity token is projected separately; no Kubernetes API token.
                            "automountServiceAccountToken": False,
                            "terminationGracePeriodSeconds": 30,
                            "securityContext": restricted_pod_security_context(
                                USER_ID, USER_ID, USER_ID, fs_group_change_policy="OnRootMismatch"
                            ),
                            **pool_placement(args.node_pool),
                            "topologySpreadConstraints": [
                                {
                                    "maxSkew": 1,
                                    "topologyKey": key,
                                    "whenUnsatisfiable": "ScheduleAnyway",
                                    "labelSelector": {"matchLabels": POD_LABELS},
                                }
                                for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                            ],
                            "containers": [container],
                            "volumes": [
                                {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                            ],
                        },
                    },
                },
            ),
            # The HPA owns the replica count once the Deployment exists.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])
            ),
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels},
            spec=cast(
                Any,
                {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
                    "minReplicas": config.min_replicas,
                    "maxReplicas": config.max_replicas,
                    "metrics": [
                        _utilisation("cpu", config.target_cpu_percent),
                        _utilisation("memory", config.target_memory_percent),
                    ],
                },
            ),
            opts=child,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels},
            spec=cast(Any, {"maxUnavailable": 1, "selector": {"matchLabels": POD_LABELS}}),
            opts=child,
        )

    def _ingress(
        self,
        name: str,
        args: MemoryApiArgs,
        labels: dict[str, str],
        service: k8s.core.v1.Service,
        child: pulumi.ResourceOptions,
    ) -> k8s.networking.v1.Ingress:
        config = args.config
        hosts = [config.host, *([args.regional_host] if args.regional_host else [])]
        annotations = {
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
            "alb.ingress.kubernetes.io/ssl-redirect": "443",
            "alb.ingress.kubernetes.io/certificate-arn": str(config.certificate_arn),
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "alb.ingress.kubernetes.io/healthcheck-path": PROBE_PATHS["readiness"],
            "alb.ingress.kubernetes.io/load-balancer-attributes": (
                "routing.http.drop_invalid_header_fields.enabled=true"
            ),
        }
        return k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels, "annotations": annotations},
            spec=cast(
                Any,
                {
                    "ingressClassName": args.ingress_class,
                    "tls": [{"hosts": hosts}],
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": NAME, "port": {"name": "http"}}},
                                    }
                                ]
                            },
                        }
                        for host in hosts
                    ],
                },
            ),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[service, *([args.ingress_controller] if args.ingress_controller else [])]
                ),
            ),
        )

    def _network_policies(self, name: str, args: MemoryApiArgs, labels: dict[str, str]) -> None:
        provider, qdrant = args.cluster.provider, args.qdrant
        default_deny(f"{name}-default-deny", NAMESPACE, provider, self)
        vpc = {"ipBlock": {"cidr": args.vpc_cidr}}
        k8s.networking.v1.NetworkPolicy(
            f"{name}-policy",
            metadata={"name": NAME, "namespace": NAMESPACE, "labels": labels},
            spec=cast(
                Any,
                {
                    "podSelector": {"matchLabels": POD_LABELS},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [
                        # ALB IP targets: the load balancer's addresses are in the VPC's public subnets.
                        {"from": [vpc], "ports": tcp(PORT)},
                        {"from": [prometheus_peer()], "ports": tcp(PORT)},
                    ],
                    "egress": [
                        dns_egress(),
                        {"to": [vpc], "ports": tcp(_port(args.database_port))},
                        {"to": [vpc], "ports": tcp(_port(args.redis_port))},
                        {
                            "to": [pods_in(qdrant.namespace, qdrant.pod_labels)],
                            "ports": tcp(qdrant.http_port, qdrant.grpc_port),
                        },
                        {
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                                    }
                                }
                            ],
                            "ports": tcp(OTLP_PORT),
                        },
                        # Secrets Manager and STS (IRSA) over HTTPS through the NAT gateways.
                        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(443)},
                    ],
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )


def environment(args: MemoryApiArgs) -> list[dict[str, Any]]:
    """The container's environment, named from `ENV_VARS`; only the Qdrant key comes from a Secret."""
    values: dict[str, Any] = {
        "environment": args.environment,
        "database_host": args.database_writer_endpoint,
        "database_port": args.database_port,
        "database_name": args.config.database_name,
        "database_secret_arn": args.database_secret_arn,
        "redis_url": pulumi.Output.concat("rediss://", args.redis_endpoint, ":", args.redis_port),
        "redis_auth_secret_arn": args.redis_auth_secret_arn,
        "qdrant_url": args.qdrant.url,
        **({"otlp_endpoint": args.otlp_endpoint} if args.otlp_endpoint is not None else {}),
        "data_dir": DATA_DIR,
        "host": "0.0.0.0",  # noqa: S104 - every interface of the pod, behind its NetworkPolicy
        "port": str(PORT),
        "load_balancer_cidrs": json.dumps(list(args.load_balancer_cidrs)),
    }
    env: list[dict[str, Any]] = [{"name": ENV_VARS[key], "value": value} for key, value in values.items()]
    env.append(
        {
            "name": ENV_VARS["qdrant_api_key"],
            "valueFrom": {
                "secretKeyRef": {
                    "name": args.qdrant.api_key_secret_name,
                    "key": args.qdrant.api_key_secret_field,
                }
            },
        }
    )
    return env


def load_balancer_hostname(status: Any) -> str | None:
    """`status.loadBalancer.ingress[0].hostname` of an Ingress (the ALB's DNS name), None until it has one."""
    load_balancer = getattr(status, "load_balancer", None) if status is not None else None
    entries = getattr(load_balancer, "ingress", None) or []
    hostname = getattr(entries[0], "hostname", None) if entries else None
    return str(hostname) if hostname else None


def _probe(path: str, *, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": 5 if path == PROBE_PATHS["startup"] else 10,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def _utilisation(resource: str, percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}},
    }


def _port(port: StrInput) -> pulumi.Output[int]:
    return pulumi.Output.from_input(port).apply(int)
