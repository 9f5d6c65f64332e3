"""No privilege escalation, or (violate) a privileged init container."""

# expect: runs initContainer init privileged
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
init = container(name="init", securityContext={**container()["securityContext"], "privileged": violate})
deployment(pod(initContainers=[init]))
