"""Pieces of the dedup job that run without a pipeline."""
import numpy as np

import filters.minhash as M


def test_b_bit_sketch_estimates_jaccard_like_the_full_signature():
    """The 8-bit sketches LSH buckets carry estimate Jaccard within a few points of full values."""
    import random

    from pipeline.dedup import b_bit_jaccard, b_bit_sketch

    rng = random.Random(3)
    words = [f"w{rng.randrange(5000)}" for _ in range(600)]
    hasher = M.MinHasher(M.MinHashConfig())
    base = " ".join(words)
    for rate in (0.0, 0.05, 0.2, 0.5):
        other = " ".join(w if rng.random() >= rate else f"x{rng.randrange(9999)}" for w in words)
        a, b = hasher.signatures([base, other])
        full = M.estimate_jaccard(a, b)
        sketch = b_bit_jaccard(np.frombuffer(b_bit_sketch(a), dtype=np.uint8),
                               np.frombuffer(b_bit_sketch(b), dtype=np.uint8))
        assert abs(sketch - full) <= 0.03
