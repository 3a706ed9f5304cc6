"""The pytest11 entry point: the harness's plugin, registered only when its extra is installed.

A project that installed the mock alone and runs its own tests must not fail on import.
"""

from ._requirements import missing

pytest_plugins = [] if missing() else ["conformance.plugin"]
