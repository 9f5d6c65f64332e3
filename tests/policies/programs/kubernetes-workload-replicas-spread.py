"""Three replicas spread across zones, or (violate) not spread."""

# expect: runs 3 replicas with no podAntiAffinity or topologySpreadConstraints
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(topologySpreadConstraints=[] if violate else pod()["topologySpreadConstraints"]))
