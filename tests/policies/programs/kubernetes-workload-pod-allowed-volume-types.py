"""An emptyDir volume, or (violate) an NFS volume."""

# expect: of disallowed type nfs
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
volume = (
    {"name": "data", "nfs": {"server": "nfs", "path": "/"}} if violate else {"name": "data", "emptyDir": {}}
)
deployment(pod(volumes=[volume]))
