"""Standard normals of NumPy's PCG64 streams, generated inline in the kernel.

``normal(hi, lo, inc_hi, inc_lo)`` returns exactly the numbers of
``numpy.random.Generator(PCG64).standard_normal()`` -- the same PCG64
(XSL-RR 128/64) step and the same ziggurat with NumPy's tables
(``sim.engine.kernel.ziggurat``) -- but as code the compiler inlines into the kernel's
loop, rather than a call through the bit generator's function pointer for
every draw.  The kernel draws its three step-normal streams side by side, and
inlined they overlap in the CPU: about 4% of a path's time on the default
scenario.  ``tests/test_normals.py`` checks the numbers against NumPy itself.

A stream's state is a uint64 array ``[state_hi, state_lo, inc_hi, inc_lo]``
(``stream_state``): a kernel unpacks it into scalars, draws, and stores the
advanced ``state_hi, state_lo`` back.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from sim.engine.kernel.ziggurat import FI, INV_R, KI, R, WI
from sim.engine.kernel.jit import njit

_MULT_HI = np.uint64(2549297995355413924)  # PCG's default 128-bit multiplier
_MULT_LO = np.uint64(4865540595714422341)
_MASK64 = (1 << 64) - 1


def stream_state(rng: np.random.Generator) -> np.ndarray:
    """The PCG64 state of ``rng`` as uint64 ``[state_hi, state_lo, inc_hi, inc_lo]``, shape (4,).

    ``rng`` itself is not advanced: the state is a copy.
    """
    state = rng.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"sim.engine.kernel.normals needs a PCG64 stream, not {state['bit_generator']}")
    s, inc = state["state"]["state"], state["state"]["inc"]
    return np.array([s >> 64, s & _MASK64, inc >> 64, inc & _MASK64], dtype=np.uint64)


@intrinsic
def _mul_add_128(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
    """(a * b + c) mod 2**128 on 128-bit integers given as (hi, lo) uint64 halves."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)

        def join(hi, lo):
            return builder.or_(builder.shl(builder.zext(hi, i128), ir.Constant(i128, 64)), builder.zext(lo, i128))

        r = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])), join(args[4], args[5]))
        hi = builder.trunc(builder.lshr(r, ir.Constant(i128, 64)), ir.IntType(64))
        lo = builder.trunc(r, ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


@njit(inline="always")
def next_uint64(hi, lo, inc_hi, inc_lo):
    """PCG64's next 64-bit output from state ``(hi, lo)``: step the LCG, then the XSL-RR output function.

    Returns ``(output, hi, lo)``, the new state as scalars: a stream's state
    lives in registers while the kernel draws, not in its array, whose loads
    and stores would sit on the generator's dependency chain.
    """
    hi, lo = _mul_add_128(hi, lo, _MULT_HI, _MULT_LO, inc_hi, inc_lo)
    rot = hi >> np.uint64(58)
    x = hi ^ lo
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63))), hi, lo


@njit(inline="always")
def next_double(hi, lo, inc_hi, inc_lo):
    """Uniform on [0, 1) from the top 53 bits, as NumPy's ``random()``; returns ``(u, hi, lo)``."""
    r, hi, lo = next_uint64(hi, lo, inc_hi, inc_lo)
    return np.float64(r >> np.uint64(11)) * (1.0 / 9007199254740992.0), hi, lo


@njit(inline="always")
def normal(hi, lo, inc_hi, inc_lo):
    """One standard normal, NumPy's ziggurat (``random_standard_normal``), from state ``(hi, lo)``.

    Returns ``(x, hi, lo)``.  Unpack a stream's array once (``hi, lo, inc_hi,
    inc_lo = state``), draw, and store ``hi, lo`` back when done: about 17%
    faster than reading and writing the array at every draw.
    """
    while True:
        r, hi, lo = next_uint64(hi, lo, inc_hi, inc_lo)
        idx = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        sign = r & np.uint64(1)
        rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = np.float64(rabs) * WI[idx]
        if sign & np.uint64(1):
            x = -x
        if rabs < KI[idx]:
            return x, hi, lo  # the rectangle: about 99% of draws
        if idx == 0:  # the tail beyond R
            while True:
                u, hi, lo = next_double(hi, lo, inc_hi, inc_lo)
                xx = -INV_R * np.log1p(-u)
                u, hi, lo = next_double(hi, lo, inc_hi, inc_lo)
                yy = -np.log1p(-u)
                if yy + yy > xx * xx:
                    if (rabs >> np.uint64(8)) & np.uint64(1):
                        return -(R + xx), hi, lo
                    return R + xx, hi, lo
        else:
            u, hi, lo = next_double(hi, lo, inc_hi, inc_lo)
            if (FI[idx - 1] - FI[idx]) * u + FI[idx] < np.exp(-0.5 * x * x):
                return x, hi, lo


@njit
def standard_normals(state, n):
    """``n`` standard normals from ``state``, shape (n,): ``rng.standard_normal(n)`` of the stream."""
    out = np.empty(n)
    hi, lo, inc_hi, inc_lo = state[0], state[1], state[2], state[3]
    for i in range(n):
        x, hi, lo = normal(hi, lo, inc_hi, inc_lo)
        out[i] = x
    state[0] = hi
    state[1] = lo
    return out
