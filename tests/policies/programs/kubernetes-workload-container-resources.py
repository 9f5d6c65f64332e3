"""Requests and limits set, or (violate) none."""

# expect: sets no
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(containers=[container(resources={} if violate else container()["resources"])]))
