"""RuntimeDefault seccomp, or (violate) Unconfined."""

# expect: sets the pod's seccomp profile to Unconfined
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(
    pod(
        securityContext={
            "runAsNonRoot": True,
            "seccompProfile": {"type": "Unconfined" if violate else "RuntimeDefault"},
        }
    )
)
