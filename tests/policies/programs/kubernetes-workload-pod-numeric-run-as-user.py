"""Containers with an explicit UID, or (violate) one that relies on the image's user."""

# expect: sets no runAsUser for container web
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
context = dict(container()["securityContext"])
if violate:
    del context["runAsUser"]
deployment(pod(containers=[container(securityContext=context)]))
