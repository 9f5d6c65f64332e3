"""A chart pinned to 1.2.3, or (violate) a range."""

# expect: which is a range rather than one exact version
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
k8s.helm.v3.Release(
    "app", chart="oci://registry.example.com/charts/app", version="^1.2.0" if violate else "1.2.3"
)
