"""A StatefulSet whose pod uses a Localhost AppArmor profile, or (violate) Unconfined (the v1.30 field)."""

# expect: sets AppArmor profile Unconfined on the pod
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import pod, workload

violate = pulumi.Config("corpus").get_bool("violate")
profile = {"type": "Unconfined"} if violate else {"type": "Localhost", "localhostProfile": "k8s-web"}
spec = pod()
spec["securityContext"] = {**spec["securityContext"], "appArmorProfile": profile}
workload("StatefulSet", spec)
