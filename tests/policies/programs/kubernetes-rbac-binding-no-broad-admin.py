"""cluster-admin bound to a named user, or (violate) to a service account."""

# expect: binds cluster-admin to the service account ci/deployer
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
subject = (
    {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}
    if violate
    else {"kind": "User", "name": "alice@example.com", "apiGroup": "rbac.authorization.k8s.io"}
)
k8s.rbac.v1.ClusterRoleBinding(
    "admins",
    metadata={"name": "admins"},
    role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
    subjects=[subject],
)
