"""Three replicas with a PodDisruptionBudget, or (violate) without."""

# expect: runs 3 replicas without a PodDisruptionBudget
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment

violate = pulumi.Config("corpus").get_bool("violate")
deployment(guard=not violate)
if violate:
    k8s.networking.v1.NetworkPolicy(
        "web",
        metadata={"name": "web", "namespace": "web"},
        spec={"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
    )
