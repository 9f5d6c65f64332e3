"""The Pulumi SDK internals the offline plan relies on, pinned: an SDK upgrade that changes one fails here.

The plan runs programs the way the language host does, through parts of the SDK that are not public API:
the mock monitor it subclasses, the runtime settings it configures and resets, the wire signatures it
reads secrets, resources and unknowns by, and two functions it wraps. Each assertion names what breaks.
"""

from __future__ import annotations

import inspect

import pulumi
import pulumi_kubernetes.yaml.yaml as v1_yaml
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from offline_plan import monitor, recording


def test_wire_signatures_match_the_sdk() -> None:
    """`plain()` recognises secrets, resource references, output values and assets by these constants."""
    assert rpc._special_sig_key == recording._SIG_KEY
    assert rpc._special_secret_sig == recording._SECRET_SIG
    assert rpc._special_resource_sig == recording._RESOURCE_SIG
    assert rpc._special_output_value_sig == recording._OUTPUT_SIG
    assert {rpc._special_asset_sig: "asset", rpc._special_archive_sig: "archive"} == recording._ASSET_SIGS
    assert rpc.UNKNOWN == recording._UNKNOWN_VALUE


def test_the_mock_monitor_has_the_methods_the_recorder_overrides() -> None:
    for method in (
        "RegisterResource",
        "ReadResource",
        "RegisterResourceOutputs",
        "Invoke",
        "SupportsFeature",
    ):
        assert callable(getattr(runtime_mocks.MockMonitor, method, None)), method
    assert hasattr(runtime_mocks.MockMonitor, "ResourceRegistration")
    assert issubclass(monitor.RecordingMonitor, runtime_mocks.MockMonitor)
    assert set(inspect.signature(runtime_mocks.MockResourceArgs).parameters) >= {
        "typ",
        "name",
        "inputs",
        "provider",
        "resource_id",
        "custom",
    }


def test_runtime_settings_the_runner_configures_and_resets() -> None:
    """MockSettings(**kwargs) only sets attributes: the SDK must still read the names the runner sets."""
    saved = runtime_settings.SETTINGS
    try:
        runtime_settings.configure(
            runtime_mocks.MockSettings(
                monitor=None,
                monitor_features={"secrets"},
                engine=None,
                project="proj",
                stack="dev",
                root_directory="/somewhere",
                dry_run=True,
                organization="org",
                callbacks=None,
                parallel=1,
            )
        )
        assert pulumi.runtime.is_dry_run() is True
        assert pulumi.get_project() == "proj"
        assert pulumi.get_stack() == "dev"
        assert pulumi.get_organization() == "org"
        assert pulumi.runtime.get_root_directory() == "/somewhere"
        assert runtime_settings.SETTINGS.monitor_features == {"secrets"}
    finally:
        runtime_settings.configure(saved)
    assert hasattr(runtime_settings, "ROOT") and callable(runtime_settings.ROOT.set)
    assert isinstance(runtime_settings.SETTINGS.outputs, set | list)  # cleared after a failed run
    assert list(inspect.signature(set_all_config).parameters)[:2] == ["config", "secret_keys"]
    assert inspect.iscoroutinefunction(run_in_stack)


def test_functions_the_runner_and_kube_yaml_wrap_still_exist() -> None:
    """Invoke arguments lose their secret marks in this function (the runner wraps it to keep them);
    v1 ConfigFile reads URLs with `_read_url` (swapped so nothing is fetched)."""
    assert callable(rpc._unwrap_rpc_secret_struct_properties)
    assert callable(v1_yaml._read_url)
