"""Kernel of read_edgelist's integer fast path: two integer ids per line, parsed from
the file's bytes in one pass (no Python object per edge, no per-line call)."""

import numpy as np
from numba import njit

from .config import NJIT

_NL, _CR, _SP, _TAB, _MINUS = 10, 13, 32, 9, 45


@njit(**NJIT)
def parse_int_pairs(buf, comment_chars, skip_header, ignore_extra):
    """``(src, dst, ok)`` of a whitespace-separated edge list held as bytes.

    Accepts lines ``[blanks] int blanks int [blanks]`` (LF or CRLF), blank
    lines and lines whose first non-blank byte is one of ``comment_chars``;
    with ``skip_header`` the first data line is skipped whatever it holds;
    with ``ignore_extra`` anything after the second id is skipped (ASCII
    only). Ids are decimal with an optional '-', at most 18 digits. Anything
    else gives ``ok = False`` and the caller parses the file the general way.
    """
    n = buf.shape[0]
    lines = 1
    for i in range(n):
        if buf[i] == _NL:
            lines += 1
    src = np.empty(lines, np.int64)
    dst = np.empty(lines, np.int64)
    m = 0
    i = 0
    if n >= 3 and buf[0] == 0xEF and buf[1] == 0xBB and buf[2] == 0xBF:
        i = 3
    header = skip_header
    while i < n:
        while i < n and (buf[i] == _SP or buf[i] == _TAB):
            i += 1
        if i >= n:
            break
        c = buf[i]
        if c == _NL:
            i += 1
            continue
        if c == _CR:
            if i + 1 < n and buf[i + 1] == _NL:
                i += 2
                continue
            return src[:0], dst[:0], False
        is_comment = False
        for k in range(comment_chars.shape[0]):
            if c == comment_chars[k]:
                is_comment = True
        if is_comment or header:
            header = header and is_comment
            while i < n and buf[i] != _NL:
                i += 1
            i += 1
            continue
        first = np.int64(0)
        v = np.int64(0)
        for col in range(2):
            if col == 1:
                if i >= n or not (buf[i] == _SP or buf[i] == _TAB):
                    return src[:0], dst[:0], False
                while i < n and (buf[i] == _SP or buf[i] == _TAB):
                    i += 1
                first = v
            neg = False
            if i < n and buf[i] == _MINUS:
                neg = True
                i += 1
            v = np.int64(0)
            nd = 0
            zero_first = i < n and buf[i] == 48
            while i < n and buf[i] >= 48 and buf[i] <= 57:
                v = v * 10 + np.int64(buf[i] - 48)
                nd += 1
                i += 1
            if nd == 0 or nd > 18:
                return src[:0], dst[:0], False
            # "007" and "-0" are not how an integer is written: text ids (the one id rule,
            # docs/data.md), so the file goes to the reader that keeps them apart
            if (zero_first and nd > 1) or (neg and v == 0):
                return src[:0], dst[:0], False
            if neg:
                v = -v
        while i < n and (buf[i] == _SP or buf[i] == _TAB):
            i += 1
        if i < n and buf[i] == _CR:
            i += 1
            if i >= n or buf[i] != _NL:
                return src[:0], dst[:0], False
        if i < n and buf[i] != _NL:
            if not ignore_extra:
                return src[:0], dst[:0], False
            while i < n and buf[i] != _NL:
                if buf[i] >= 128:
                    return src[:0], dst[:0], False
                i += 1
        i += 1
        src[m] = first
        dst[m] = v
        m += 1
    return src[:m], dst[:m], m > 0
