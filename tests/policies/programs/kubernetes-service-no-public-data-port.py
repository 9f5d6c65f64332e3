"""A PostgreSQL Service on an internal load balancer, or (violate) an internet-facing one."""

# expect: exposes PostgreSQL port 5432 to the internet
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
annotations = {} if violate else {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
k8s.core.v1.Service(
    "db",
    metadata={"name": "db", "namespace": "data", "annotations": annotations},
    spec={"type": "LoadBalancer", "selector": {"app": "db"}, "ports": [{"port": 5432, "targetPort": 5432}]},
)
