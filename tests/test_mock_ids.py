"""Request and client ids: RFC 4122 version-4 UUIDs, never repeated."""

from __future__ import annotations

import uuid
from collections import Counter

from mock_server.common._ids import uuid4


def test_ids_are_version_4_uuids_with_the_rfc_4122_variant() -> None:
    ids = [uuid4() for _ in range(2000)]
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert len(set(ids)) == len(ids)


def test_the_random_bits_stay_random() -> None:
    # All four variant digits (8, 9, a, b) and all sixteen digits elsewhere turn up.
    ids = [uuid4() for _ in range(2000)]
    assert set(Counter(text[19] for text in ids)) == set("89ab")
    assert set(Counter(text[20] for text in ids)) == set("0123456789abcdef")
    assert set(Counter(text[15] for text in ids)) == set("0123456789abcdef")
