"""Compact numeric arrays for the page: base64 of small integer types.

JSON spends about seven characters on a rounded float; a 16-bit quantization
spends 2.7, which keeps the geometry of many models × methods × sparsities
inside the page. The page decodes with typed arrays (``unpack`` in app.js).
"""

from __future__ import annotations

import base64

import numpy as np

LEVELS = 65534  # 0..65534 hold values, 65535 marks a missing one


def pack_floats(values) -> dict:
    """``values`` quantized to 16 bits over their own range; NaN survives as null."""
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    lo = float(x[finite].min()) if finite.any() else 0.0
    hi = float(x[finite].max()) if finite.any() else 0.0
    scale = (hi - lo) / LEVELS if hi > lo else 1.0
    q = np.full(x.shape, LEVELS + 1, dtype="<u2")
    q[finite] = np.rint((x[finite] - lo) / scale).astype("<u2")
    return {"kind": "q16", "lo": lo, "scale": scale, "b64": base64.b64encode(q.tobytes()).decode()}


def pack_ints(values) -> dict:
    """Small non-negative integers (class indices) as 8 or 16 bits."""
    x = np.asarray(values, dtype=np.int64)
    if len(x) and (x.min() < 0 or x.max() > 65535):
        raise ValueError(f"pack_ints holds 0..65535, got {x.min()}..{x.max()}")
    dtype = "<u1" if not len(x) or x.max() < 256 else "<u2"
    return {"kind": "u8" if dtype == "<u1" else "u16", "b64": base64.b64encode(x.astype(dtype).tobytes()).decode()}


def unpack(packed: dict) -> np.ndarray:
    """The inverse, for tests and Python readers (NaN where a value was missing)."""
    raw = base64.b64decode(packed["b64"])
    if packed["kind"] == "q16":
        q = np.frombuffer(raw, dtype="<u2").astype(np.float64)
        return np.where(q > LEVELS, np.nan, packed["lo"] + q * packed["scale"])
    return np.frombuffer(raw, dtype="<u1" if packed["kind"] == "u8" else "<u2").astype(np.int64)
