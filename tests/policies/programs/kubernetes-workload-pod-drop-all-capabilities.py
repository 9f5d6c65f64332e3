"""Capabilities dropped, or (violate) NET_ADMIN added."""

# expect: adds capabilities ['NET_ADMIN']
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
caps = {"drop": ["ALL"], "add": ["NET_ADMIN"]} if violate else {"drop": ["ALL"]}
deployment(
    pod(containers=[container(securityContext={**container()["securityContext"], "capabilities": caps})])
)
