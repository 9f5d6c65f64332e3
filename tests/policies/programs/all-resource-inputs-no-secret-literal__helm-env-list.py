"""Helm values with an upper-snake {name, value} env entry: a secretKeyRef passes; (violate) a literal."""

# expect: passes a literal secret POSTGRES_PASSWORD in Helm values
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
entry = (
    {"name": "POSTGRES_PASSWORD", "value": "hunter2-hunter2"}
    if violate
    else {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
)
k8s.helm.v3.Release(
    "app",
    chart="oci://registry.example.com/charts/app",
    version="1.2.3",
    values={"extraEnv": [entry], "existingSecret": "db"},
)
