"""What one part of the request path leaves in the ASGI scope for another."""

from __future__ import annotations

# The request body the endpoint read, whole, for the journal (absent: never read).
REQUEST_BODY = "mock_server.request_body"
# Where the mock's protocol leaves the connection's transport, for a fault that breaks it.
CONNECTION = "mock_server.connection"
# Where a request's injected answer is described, for the journal and the request log.
INJECTED = "mock_server.injected"
# Why the request log's line has an ``error`` (an injected answer says what it was).
FAILURE = "mock_server.failure"
