"""The fake identity services' signing keys, made once per test process.

A 2048-bit RSA key takes about a tenth of a second to make, and every Teams and Entra test made
two. Tests in one process run one at a time, each with its own identity service and its own
bot, so they can share the pair: ``trusted`` signs what the service publishes, ``other`` signs
what a test wants the bot to refuse.
"""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric import rsa


@cache
def signing_keys(service: str) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The pair of ``service`` (each fake service its own, so none trusts another's tokens)."""
    trusted = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return trusted, other
