"""A Pod with an ephemeral debug container that is no Windows HostProcess, or (violate) one that is."""

# expect: runs ephemeralContainer debug as a Windows HostProcess container
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
context = {**container()["securityContext"], "windowsOptions": {"hostProcess": violate}}
debug = {"name": "debug", "image": container()["image"], "securityContext": context}
workload("Pod", pod(ephemeralContainers=[debug]))
