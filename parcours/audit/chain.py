"""Pure hash-chain functions for the audit log (no ORM): one canonical encoding, one hash."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainLink:
    id: int
    content: dict
    prev_hash: str
    hash: str


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link_hash(*, prev_hash: str, content: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


def first_broken_link(links: Iterable[ChainLink], *, start_hash: str = GENESIS_HASH) -> tuple[int | None, str]:
    """Walk the chain in order; return (id of the first entry that does not verify, why), or
    (None, "") when every link holds."""
    expected_prev = start_hash
    for link in links:
        if link.prev_hash != expected_prev:
            return link.id, "prev_hash ne correspond pas au hash de l'entrée précédente (entrée supprimée ou insérée)"
        if link_hash(prev_hash=link.prev_hash, content=link.content) != link.hash:
            return link.id, "le contenu de l'entrée ne correspond plus à son hash (entrée modifiée)"
        expected_prev = link.hash
    return None, ""
