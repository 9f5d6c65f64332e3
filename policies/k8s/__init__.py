"""Kubernetes policies. Named ``k8s`` rather than ``kubernetes`` because the policy host puts this pack's
folder first on ``sys.path``, where a ``kubernetes`` package would shadow the real Kubernetes client."""
