"""Memory intrinsics for Numba kernels: a software prefetch hint (``llvm.prefetch``; no
effect on results) and a fixed-size block copy (``llvm.memcpy`` of a constant size)."""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

from .config import NJIT


def _prefetch_py(arr, idx):
    """Plain-Python stand-in (``NUMBA_DISABLE_JIT=1``): a hint has nothing to do."""


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint that ``arr[idx]`` will be read soon (no bounds check; a prefetch never faults)."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty, _ = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        i8p = ir.PointerType(ir.IntType(8))
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


prefetch = _prefetch_py if config.DISABLE_JIT else _prefetch

#: elements moved by :func:`copy_block`
BLOCK = 16


def _copy_block_py(dst, di, src, si):
    """Plain-Python stand-in (``NUMBA_DISABLE_JIT=1``) of :func:`copy_block`."""
    di, si = int(di), int(si)
    dst[di:di + BLOCK] = src[si:si + BLOCK]


@intrinsic
def _copy_block(typingctx, dst, di, src, si):
    """``dst[di : di + BLOCK] = src[si : si + BLOCK]``, no bounds check: one ``llvm.memcpy``
    of a constant size, which LLVM emits as a few vector moves (a loop of element copies
    stays scalar: LLVM cannot rule out that the arrays overlap). The arrays must not
    overlap and both ranges must be inside them."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array)
            and dst.dtype == src.dtype and isinstance(di, types.Integer)
            and isinstance(si, types.Integer)):
        return None
    sig = types.void(dst, di, src, si)

    def codegen(context, builder, signature, args):
        dty, _, sty, _ = signature.args
        d = context.make_array(dty)(context, builder, args[0])
        s = context.make_array(sty)(context, builder, args[2])
        dp = cgutils.get_item_pointer(context, builder, dty, d, [args[1]], wraparound=False)
        sp = cgutils.get_item_pointer(context, builder, sty, s, [args[3]], wraparound=False)
        size = context.get_abi_sizeof(context.get_data_type(dty.dtype))
        cgutils.raw_memcpy(builder, dp, sp, ir.Constant(ir.IntType(64), BLOCK), size)
        return context.get_dummy_value()

    return sig, codegen


copy_block = _copy_block_py if config.DISABLE_JIT else _copy_block


@njit(inline="always", **NJIT)
def prefetch_rows(indptr, lst, qi, stop, a, b, c):
    """Prefetch for the loop over ``lst[qi:stop]``: ``indptr`` of the node 8 places
    ahead, and arrays ``a``, ``b``, ``c`` (one row per node, CSR order) at the
    row start of the node 4 places ahead. Indices are unsigned (no wraparound code).
    """
    if qi + 8 < stop:
        prefetch(indptr, lst[np.uint64(qi + 8)])
    if qi + 4 < stop:
        r = indptr[np.uint64(lst[np.uint64(qi + 4)])]
        prefetch(a, r)
        prefetch(b, r)
        prefetch(c, r)
