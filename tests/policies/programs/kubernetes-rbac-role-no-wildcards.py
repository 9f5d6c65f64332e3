"""A ClusterRole listing verbs, or (violate) '*' verbs."""

# expect: grants '*' in rules[0].verbs
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
k8s.rbac.v1.ClusterRole(
    "reader",
    metadata={"name": "reader"},
    rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"] if violate else ["get", "list"]}],
)
