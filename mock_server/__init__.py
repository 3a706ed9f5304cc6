"""A mock of POST /api-keys that serves every documented response of the contract."""

from .common import ApiError
from .mock import Settings, TokenPolicy, TokenPolicyError, create_app
from .server import run
from .server._cli import _version

__version__ = _version()  # the one written in pyproject.toml, as installed

__all__ = [
    "ApiError",
    "Settings",
    "TokenPolicy",
    "TokenPolicyError",
    "__version__",
    "create_app",
    "run",
]
