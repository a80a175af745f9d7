"""Deterministic seed derivation: one master seed gives every market and agent its own stream."""

from __future__ import annotations

import hashlib
import math
import random


def derive_seed(seed: int, *parts: str) -> int:
    """A 64-bit seed from ``seed`` and a path of names, stable across processes (no ``hash()``)."""
    text = ":".join((str(seed), *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def derive_rng(seed: int, *parts: str) -> random.Random:
    """A private ``random.Random`` for the component named by ``parts``."""
    return random.Random(derive_seed(seed, *parts))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal above 30)."""
    if mean <= 0.0:
        return 0
    if mean > 30.0:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
