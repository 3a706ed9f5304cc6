"""A mock of POST /api-keys that serves every documented response of the contract."""

from .common import ApiError
from .mock import Settings, TokenPolicy, TokenPolicyError, create_app
from .server import run

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "Settings",
    "TokenPolicy",
    "TokenPolicyError",
    "__version__",
    "create_app",
    "run",
]
