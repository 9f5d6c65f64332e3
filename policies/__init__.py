"""Pulumi policy pack for the memory platform: AWS, Kubernetes and stack policies.

The pack is a package of the root project so that the policy host (which runs this folder with
``runpy.run_path``) and the tests import the very same modules through absolute imports
(``from policies.aws.rds import ...``). ``uv sync`` installs the root project in editable mode into
``.venv``, and ``PulumiPolicy.yaml`` points the policy host at that virtualenv via the uv toolchain.
"""
