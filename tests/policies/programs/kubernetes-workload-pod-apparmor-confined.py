"""A CronJob whose pod keeps AppArmor at runtime/default, or (violate) turns it off by annotation."""

# expect: sets AppArmor profile unconfined on container web
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import workload

violate = pulumi.Config("corpus").get_bool("violate")
profile = "unconfined" if violate else "runtime/default"
workload("CronJob", annotations={"container.apparmor.security.beta.kubernetes.io/web": profile})
