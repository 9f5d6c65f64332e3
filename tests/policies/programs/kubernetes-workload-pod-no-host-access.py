"""No host namespaces, or (violate) hostNetwork."""
# expect: sets hostNetwork=true
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod  # noqa: E402

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(hostNetwork=violate))
