# Copyright (c) mmlpose contributors. All rights reserved.
"""Reading fields of data samples as metrics receive them."""
from functools import reduce
from typing import Any


def lookup_field(sample: Any, path: str) -> Any:
    """``sample['a']['b']`` (dicts, as mmengine's evaluator passes data
    samples) or ``sample.a.b`` (data elements) for ``path='a.b'``; None if
    any step is absent."""

    def step(node, key):
        if node is None:
            return None
        if isinstance(node, dict):
            return node.get(key)
        return getattr(node, key, None)

    return reduce(step, path.split('.'), sample)
