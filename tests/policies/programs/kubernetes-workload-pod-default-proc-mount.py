"""A ReplicationController with the default masked /proc, or (violate) procMount Unmasked."""

# expect: mounts /proc unmasked in container web (procMount=Unmasked)
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
context = {**container()["securityContext"], "procMount": "Unmasked" if violate else "Default"}
workload("ReplicationController", pod(containers=[container(securityContext=context)]))
