"""Paths to the referral pages and the signed tokens of the links sent to structures without a
Parcours account. A token carries only a ReferralLink id and its nonce, signed with a salt of its
own: what the link may do, until when, and whether it was used live on the row, never in the token."""

import secrets

from django.core import signing

LINK_SALT = "parcours.referrals.link"


def referral_path(referral) -> str:
    """The page of one referral (recipient or sender side); the pages resolve the side."""
    referral_id = referral if isinstance(referral, int) else referral.pk
    return f"/prescriptions/{referral_id}/"


def link_path(token: str) -> str:
    """The page a structure without an account opens from its e-mail."""
    return f"/prescriptions/lien/{token}/"


def new_nonce() -> str:
    return secrets.token_hex(16)


def sign(*, link_id: int, nonce: str) -> str:
    return signing.dumps({"l": link_id, "n": nonce}, salt=LINK_SALT)


def unsign(token: str) -> tuple[int, str] | None:
    """(link id, nonce) of a genuine token; None if it was tampered with or is not a token."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        return int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
