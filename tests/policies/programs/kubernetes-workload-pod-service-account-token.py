"""No API token mounted, or (violate) the token automounted."""

# expect: mounts a Kubernetes API token for service account web
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(automountServiceAccountToken=violate))
