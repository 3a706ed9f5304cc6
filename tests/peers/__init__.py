"""Implementations of POST /api-keys written the way teams write them (see tests/test_peers.py)."""
