"""No privilege escalation, or (violate) an init container that allows it."""

# expect: does not set allowPrivilegeEscalation=false on initContainer init
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
context = {**container()["securityContext"], "allowPrivilegeEscalation": bool(violate)}
deployment(pod(initContainers=[container(name="init", securityContext=context)]))
