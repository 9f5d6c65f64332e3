"""A pod whose level sets a non-root UID, or (violate) UID 0 that every container happens to override."""

# expect: runs the pod as UID 0
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
spec = pod()
spec["securityContext"] = {**spec["securityContext"], "runAsUser": 0 if violate else 10001}
workload("Pod", spec)
