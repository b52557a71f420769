"""Dual numbers ``primal + tangent·ε`` (``ε² = 0``): forward mode.

A Dual's primal is a float, complex or NumPy array, or a wrapper of a lower level (nested
derivatives); its tangent has the primal's shape, or one extra leading axis holding a batch
of directions.  A ``None`` tangent is a symbolic zero: no work, and no ``0 * inf``.
"""

from .core import WRAPPERS, as_plain, shape, zeros
from .wrapper import Wrapper


class Dual(Wrapper):
    """A dual number ``primal + tangent·ε``: arithmetic on it carries the derivative along.

    Parameters
    ----------
    primal : float, int, complex or array_like
        The value (ints are promoted to float; arrays are copied).
    tangent : same, optional
        The derivative part: the shape of ``primal``, or ``(k,) + primal.shape`` for ``k``
        directions at once.  ``None`` means zero.

    Examples
    --------
    >>> import dualdiff as dd
    >>> y = dd.sin(dd.Dual(0.0, 1.0)) * 3.0
    >>> y.primal, y.tangent
    (0.0, 3.0)
    """

    __slots__ = ("primal", "_tangent", "level", "batch")

    def __init__(self, primal, tangent=None):
        if type(primal) in WRAPPERS:
            raise TypeError("the primal of a Dual must be a number or an array, not a wrapper: "
                            "use dd.derivative / dd.jvp to nest derivatives")
        self.primal = as_plain(primal, "Dual primal")
        self.level = 0
        self.batch = None
        self._tangent = None
        if tangent is not None:
            tangent = as_plain(tangent, "Dual tangent")
            ps, ts = shape(self.primal), shape(tangent)
            if ts != ps:
                if ts[1:] != ps or len(ts) != len(ps) + 1:
                    raise ValueError(f"tangent of shape {ts} matches neither the primal's shape "
                                     f"{ps} nor a batch (k,) + {ps}")
                self.batch = ts[0]
            self._tangent = tangent

    @classmethod
    def _new(cls, primal, tangent, level, batch):
        d = object.__new__(cls)
        d.primal = primal
        d._tangent = tangent
        d.level = level
        d.batch = batch
        return d

    @property
    def tangent(self):
        """The derivative part (zeros when it is symbolically zero)."""
        t = self._tangent
        return zeros(self.primal, self.batch) if t is None else t

    @property
    def inner(self):
        return self.primal

    def constant(self, value):
        """A Dual of this level with zero tangent."""
        return Dual._new(value, None, self.level, self.batch)

    def _become(self, other):
        if type(other) is not Dual:
            raise TypeError("cannot store a tape value into a Dual; build the array from the "
                            "innermost value (np.zeros_like of it)")
        self.primal, self._tangent = other.primal, other._tangent
        self.level, self.batch = other.level, other.batch

    def __repr__(self):
        return f"Dual({self.primal!r}, {self.tangent!r})"

    @staticmethod
    def lift(prim, args, params, level):
        """Forward mode for one primitive: primal on the parts, tangent by the rule."""
        primals, tangents, batch, moving = [], [], None, False
        for a in args:
            if type(a) is Dual and a.level == level:
                primals.append(a.primal)
                t = a._tangent
                tangents.append(t)
                if a.batch is not None and a.batch != batch:
                    if batch is not None:
                        raise ValueError(f"tangent batches of sizes {batch} and {a.batch} meet")
                    batch = a.batch
                moving = moving or t is not None
            else:
                primals.append(a)
                tangents.append(None)
        if batch is not None:
            for a, t in zip(args, tangents):
                if t is not None and a.batch is None:
                    raise ValueError("a batched tangent meets an unbatched one at the same level")
        out = prim(*primals, **params)
        if not moving:
            return Dual._new(out, None, level, batch)
        return Dual._new(out, prim.jvp(primals, tangents, out, batch, **params), level, batch)


WRAPPERS.add(Dual)
