"""A pod-level RuntimeDefault profile, or (violate) a pod-level Unconfined one the container overrides."""

# expect: sets the pod's seccomp profile to Unconfined
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
context = {**container()["securityContext"], "seccompProfile": {"type": "RuntimeDefault"}}
spec = pod(containers=[container(securityContext=context)])
spec["securityContext"] = {
    **spec["securityContext"],
    "seccompProfile": {"type": "Unconfined" if violate else "RuntimeDefault"},
}
workload("Job", spec)
