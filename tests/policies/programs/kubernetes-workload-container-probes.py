"""Readiness and liveness probes, or (violate) no readiness probe."""

# expect: has no readinessProbe
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(containers=[container(readinessProbe=None if violate else container()["readinessProbe"])]))
