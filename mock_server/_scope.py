"""What one part of the request path leaves in the ASGI scope for another."""

from __future__ import annotations

# The request body the endpoint read, whole, for the journal (absent: never read).
REQUEST_BODY = "mock_server.request_body"
