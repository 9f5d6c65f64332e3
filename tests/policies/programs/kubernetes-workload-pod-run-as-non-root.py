"""A non-root container, or (violate) one running as UID 0."""

# expect: as UID 0
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(
    pod(
        containers=[
            container(
                securityContext={**container()["securityContext"], "runAsUser": 0 if violate else 10001}
            )
        ]
    )
)
