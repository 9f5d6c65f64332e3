"""A ClusterRole reading ConfigMaps, or (violate) every Secret in the cluster."""

# expect: can read every Secret in the cluster
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
k8s.rbac.v1.ClusterRole(
    "reader",
    metadata={"name": "reader"},
    rules=[
        {"apiGroups": [""], "resources": ["secrets" if violate else "configmaps"], "verbs": ["get", "list"]}
    ],
)
