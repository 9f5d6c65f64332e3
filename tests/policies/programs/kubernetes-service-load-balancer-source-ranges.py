"""An internet-facing HTTPS load balancer limited to office ranges, or (violate) open to everyone."""

# expect: opens port 443 on an internet-facing load balancer to every address
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
import pulumi_kubernetes as k8s

violate = pulumi.Config("corpus").get_bool("violate")
ranges = [] if violate else ["203.0.113.0/24"]
k8s.core.v1.Service(
    "web",
    metadata={"name": "web", "namespace": "web"},
    spec={
        "type": "LoadBalancer",
        "selector": {"app": "web"},
        "ports": [{"port": 443, "targetPort": 8443}],
        "loadBalancerSourceRanges": ranges,
    },
)
