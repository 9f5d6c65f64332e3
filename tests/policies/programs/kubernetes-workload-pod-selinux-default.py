"""A Job whose init container runs as container_init_t, or (violate) as the unconfined spc_t."""

# expect: sets SELinux type spc_t on initContainer init
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
selinux = {"type": "spc_t" if violate else "container_init_t", "level": "s0:c123,c456"}
init = container(name="init", securityContext={**container()["securityContext"], "seLinuxOptions": selinux})
workload("Job", pod(initContainers=[init]))
