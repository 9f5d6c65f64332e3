"""A Deployment selected by a NetworkPolicy, or (violate) not."""

# expect: has pods that no NetworkPolicy selects
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment

violate = pulumi.Config("corpus").get_bool("violate")
deployment(guard=not violate)
if violate:
    k8s.policy.v1.PodDisruptionBudget(
        "web",
        metadata={"name": "web", "namespace": "web"},
        spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    )
