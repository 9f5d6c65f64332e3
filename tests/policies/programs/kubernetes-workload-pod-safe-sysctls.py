"""A ReplicaSet setting a safe sysctl, or (violate) one outside the safe set."""

# expect: sets the sysctl kernel.msgmax
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
sysctls = [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
if violate:
    sysctls.append({"name": "kernel.msgmax", "value": "65536"})
spec = pod()
spec["securityContext"] = {**spec["securityContext"], "sysctls": sysctls}
workload("ReplicaSet", spec)
