"""What one part of the request path leaves in the ASGI scope for another."""

from __future__ import annotations

# The request body the endpoint read, whole, for the journal (absent: never read).
REQUEST_BODY = "mock_server.request_body"
# Why the request log's line has an ``error`` (an injected answer says what it was).
FAILURE = "mock_server.failure"
