"""A versioned image, or (violate) :latest."""

# expect: runs image nginx:latest
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
deployment(pod(containers=[container(image="nginx:latest" if violate else "nginx:1.27.3")]))
