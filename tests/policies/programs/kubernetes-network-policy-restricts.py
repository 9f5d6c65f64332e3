"""A NetworkPolicy allowing one namespace, or (violate) an empty rule that allows everything."""

# expect: allows all ingress (spec.ingress[0] is empty)
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
rule = (
    {}
    if violate
    else {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}]}
)
k8s.networking.v1.NetworkPolicy(
    "web",
    metadata={"name": "web", "namespace": "web"},
    spec={"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [rule]},
)
