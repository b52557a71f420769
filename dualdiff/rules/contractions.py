"""Contractions: ``einsum`` (one primitive) and the products written with it (``tensordot``,
``vdot``, ``kron``, ``cross``).

``einsum`` is multilinear, so one rule covers every contraction NumPy can spell:

- forward: ``d einsum(x_1, ..., x_n) = sum_k einsum(x_1, ..., dx_k, ..., x_n)``; a batch of
  tangents is one more label, kept in the output;
- reverse: the adjoint of operand ``k`` is ``einsum(out_bar, x_j (j != k) -> labels of x_k)``,
  with an identity matrix where a label repeats in ``x_k`` (a diagonal) and a broadcast where
  a label of ``x_k`` appears nowhere else (a sum in the forward direction).

With JAX's pairing ``<a, b> = Re sum(a b)`` the adjoint of a product carries no conjugate;
the adjoint of a real operand is the real part.

Subscripts are first put in a canonical form: no ``...`` (each broadcast axis gets its own
letter), an explicit output, and a fresh letter for an axis of length 1 that broadcasts
against a longer one, so the rules never have to think about broadcasting.
"""

import string

import numpy as np

from ..core import WRAPPERS, ndim, peek, shape
from ..primitive import Custom
from ..registry import implements, register
from .elementwise import conj, multiply, real, subtract
from .structure import broadcast_to, concatenate, getitem, moveaxis, ravel, reshape, stack

_LETTERS = string.ascii_letters


def _einsum_impl(*ops, subscripts):
    # NumPy's own loops for small contractions; its optimiser (BLAS where it can) for large
    # ones or many operands, where the loops are up to 50x slower (300 x 300 products)
    big = len(ops) > 2 or any(np.size(o) > 1024 for o in ops)
    return np.einsum(subscripts, *ops, optimize=big)


def _split(subscripts):
    ins, out = subscripts.split("->")
    return ins.split(","), out


def real_adjoint(g, x):
    """The adjoint ``g`` of the input ``x``: its real part when ``x`` is real (JAX's rule)."""
    if g is not None and np.iscomplexobj(peek(g)) and not np.iscomplexobj(peek(x)):
        return real(g)
    return g


def _einsum_jvp(primals, tangents, out, batch, subscripts):
    ins, o = _split(subscripts)
    b = _fresh(subscripts) if batch is not None else ""
    total = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        subs = ",".join(b + s if i == k else s for i, s in enumerate(ins)) + "->" + b + o
        ops = [t if i == k else x for i, x in enumerate(primals)]
        term = einsum_p(*ops, subscripts=subs)
        total = term if total is None else total + term
    return total


def _fresh(*used):
    taken = set("".join(used))
    return next(c for c in _LETTERS if c not in taken)


def _einsum_vjp(out_bar, primals, out, wants, subscripts):
    ins, o = _split(subscripts)
    grads = []
    for k, x in enumerate(primals):
        if not wants[k]:
            grads.append(None)
            continue
        target, ops, subs = [], [out_bar], [o]
        for i, s in enumerate(ins):
            if i != k:
                ops.append(primals[i])
                subs.append(s)
        n_of = dict(zip(ins[k], shape(x)))
        for c in ins[k]:
            if c in target:  # a diagonal: an identity matrix ties the repeat to the first
                d = _fresh(subscripts, *subs, *target)
                ops.append(np.eye(n_of[c]))
                subs.append(c + d)
                c = d
            target.append(c)
        seen = set("".join(subs))
        kept = "".join(c for c in target if c in seen)
        g = einsum_p(*ops, subscripts=",".join(subs) + "->" + kept)
        if len(kept) < len(target):  # labels summed in x alone: the adjoint is constant along them
            g = reshape(g, tuple(n if c in seen else 1 for c, n in zip(target, shape(x))))
            g = broadcast_to(g, shape(x))
        grads.append(real_adjoint(g, x))
    return grads


#: every contraction NumPy's einsum spells, in canonical subscripts (see the module's doc)
einsum_p = register(Custom("einsum", _einsum_impl, _einsum_jvp, _einsum_vjp, nargs=None))


def _sublist_subscripts(args):
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (NumPy's second form) as a string."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)

    out = args[-1] if len(args) % 2 else None
    args = args[:-1] if len(args) % 2 else args
    ops, subs = list(args[0::2]), list(args[1::2])
    text = ",".join(letters(s) for s in subs)
    if out is not None:
        text += "->" + letters(out)
    return text, ops


def canonical_subscripts(subscripts, shapes):
    """``subscripts`` for operands of ``shapes`` with no ``...``, an explicit output and a
    distinct letter for every axis of length 1 that broadcasts against a longer one."""
    subscripts = subscripts.replace(" ", "")
    ins, arrow, out = subscripts.partition("->")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(shapes)} operands")
    ell_rank = 0
    for s, sh in zip(ins, shapes):
        if "..." in s:
            ell_rank = max(ell_rank, len(sh) - len(s.replace("...", "")))
    used = set(subscripts) - {".", ",", "-", ">"}
    bad = [c for c in used if c not in _LETTERS]
    if bad:
        raise ValueError(f"einsum: invalid subscript {bad[0]!r} (letters only)")
    free = [c for c in _LETTERS if c not in used]
    if ell_rank + len(used) > len(_LETTERS):
        raise ValueError("einsum: too many axes for single-letter subscripts")
    ell = "".join(free[:ell_rank])
    free = free[ell_rank:]
    labels = []
    for s, sh in zip(ins, shapes):
        if "..." in s:
            head, tail = s.split("...")
            s = head + ell[ell_rank - (len(sh) - len(head) - len(tail)):] + tail
        if len(s) != len(sh):
            raise ValueError(f"einsum: subscripts {s!r} for an operand of {len(sh)} dimensions")
        labels.append(list(s))
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = {}
        for s in labels:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell))
    size = {}
    for s, sh in zip(labels, shapes):
        for c, n in zip(s, sh):
            if size.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(f"einsum: axis {c!r} has lengths {size[c]} and {n}, which do "
                                 "not broadcast")
            size[c] = max(size.get(c, 1), n)
    for c in out:
        if c not in size:
            raise ValueError(f"einsum: output subscript {c!r} is not in any operand")
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscript repeated in {out!r}")
    for s, sh in zip(labels, shapes):
        for i, (c, n) in enumerate(zip(s, sh)):
            if n == 1 and size[c] > 1:  # a broadcast axis: its own letter, summed away
                if not free:
                    raise ValueError("einsum: too many axes for single-letter subscripts")
                s[i] = free.pop(0)
    return ",".join("".join(s) for s in labels) + "->" + out


def einsum(*operands, optimize=False, **kwargs):
    """``np.einsum``: any subscripts (``...``, implicit output, NumPy's sublist form).

    The Einstein sum ``out[o] = sum_{labels not in o} prod_k x_k[labels_k]``; it is linear in
    each operand, so its derivative is a sum of einsums with one operand replaced by its
    tangent.  ``optimize`` is accepted (the contraction order changes only the rounding).

    Examples
    --------
    >>> import numpy as np, dualdiff as dd
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> dd.grad(lambda a: np.einsum("ij,ij", a, a))(a)
    array([[2., 4.],
           [6., 8.]])
    """
    if kwargs.get("out") is not None:
        raise TypeError("np.einsum(..., out=) is not supported on Duals")
    if kwargs.get("dtype") is not None:
        raise TypeError("np.einsum(..., dtype=) is not supported on Duals; cast the operands")
    extra = sorted(k for k in kwargs if k not in ("out", "dtype", "order", "casting"))
    if extra:
        raise TypeError(f"np.einsum got an unexpected keyword argument {extra[0]!r}")
    if not operands:
        raise ValueError("einsum: no operands")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _sublist_subscripts(operands)
    ops = [o if type(o) in WRAPPERS or isinstance(o, (np.ndarray, float, complex))
           else np.asarray(o) for o in ops]
    subs = canonical_subscripts(subscripts, [shape(o) for o in ops])
    return einsum_p(*ops, subscripts=subs)


def _labels(n, start=0):
    return _LETTERS[start:start + n]


def tensordot(a, b, axes=2):
    """``np.tensordot``: sum over ``axes`` (an int ``N``: the last ``N`` of ``a`` with the
    first ``N`` of ``b``; or a pair of axis lists), as one einsum."""
    na, nb = ndim(a), ndim(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(na, nb):
            raise ValueError(f"tensordot: axes={axes} is larger than an operand's rank")
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError("tensordot: shape-mismatch for sum (axes lists of unequal length)")
        ax_a = [int(i) % na for i in ax_a]
        ax_b = [int(i) % nb for i in ax_b]
    for i, j in zip(ax_a, ax_b):
        if shape(a)[i] != shape(b)[j]:
            raise ValueError("tensordot: shape-mismatch for sum")
    la = list(_labels(na))
    lb = list(_labels(nb, na))
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    out = [c for i, c in enumerate(la) if i not in ax_a] + [
        c for j, c in enumerate(lb) if j not in ax_b]
    return einsum_p(a, b, subscripts="".join(la) + "," + "".join(lb) + "->" + "".join(out))


def vdot(a, b):
    """``np.vdot``: ``sum(conj(a) * b)`` over the flattened arrays."""
    a, b = ravel(a), ravel(b)
    if np.iscomplexobj(peek(a)):
        a = conj(a)
    return einsum_p(a, b, subscripts="i,i->")


def kron(a, b):
    """``np.kron``: the blocks ``a[i] * b``, as an outer product and a reshape."""
    nd = max(ndim(a), ndim(b))
    sa = (1,) * (nd - ndim(a)) + tuple(shape(a))
    sb = (1,) * (nd - ndim(b)) + tuple(shape(b))
    la, lb = _labels(nd), _labels(nd, nd)
    prod = einsum_p(reshape(a, sa), reshape(b, sb),
                    subscripts=la + "," + lb + "->" + "".join(x + y for x, y in zip(la, lb)))
    return reshape(prod, tuple(p * q for p, q in zip(sa, sb)))


def _component(x, i):
    return getitem(x, (Ellipsis, i))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``np.cross`` of 3-vectors (or 2-vectors, taken with a zero third component) along
    ``axisa``/``axisb``, written into ``axisc``; ``axis`` sets all three."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    na, nb = shape(a)[-1], shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if na == nb == 2:
        return subtract(multiply(_component(a, 0), _component(b, 1)),
                        multiply(_component(a, 1), _component(b, 0)))
    a, b = _three(a), _three(b)
    parts = [
        _component(a, i) * _component(b, j) - _component(a, j) * _component(b, i)
        for i, j in ((1, 2), (2, 0), (0, 1))
    ]
    c = stack(parts, axis=-1)
    return moveaxis(c, -1, axisc)


def _three(x):
    if shape(x)[-1] == 3:
        return x
    z = np.zeros(tuple(shape(x)[:-1]) + (1,), dtype=peek(x).dtype)
    return concatenate([x, z], axis=-1)


implements(np.einsum)(einsum)
implements(np.tensordot)(tensordot)
implements(np.vdot)(vdot)
implements(np.kron)(kron)
implements(np.cross)(cross)

__all__ = ["cross", "einsum", "einsum_p", "kron", "real_adjoint", "tensordot", "vdot"]
