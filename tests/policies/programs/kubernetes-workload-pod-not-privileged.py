"""A DaemonSet whose containers are unprivileged, or (violate) one privileged container."""

# expect: runs container web privileged
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
web = container(securityContext={**container()["securityContext"], "privileged": violate})
workload("DaemonSet", pod(containers=[web]))
