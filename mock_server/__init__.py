"""A mock of POST /api-keys that serves every documented response of the contract."""

from ._app import create_app
from ._cli import _version, run
from ._errors import ApiError
from ._settings import Settings
from ._tokens import TokenPolicy, TokenPolicyError

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
