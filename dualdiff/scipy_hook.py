"""SciPy's rules, loaded only when SciPy is: ``import dualdiff`` never imports SciPy.

The rules for ``scipy.special`` (:mod:`dualdiff.rules.special`) and ``scipy.stats``
(:mod:`dualdiff.rules.stats`) import SciPy, so they are loaded when the program itself imports
``scipy.special`` or ``scipy.stats``: a finder on ``sys.meta_path`` runs :func:`ensure` right
after such a module has executed (and :func:`install` runs it at once for one imported before
dualdiff).  SciPy's Python functions (``logsumexp``, ...) must be routed before other code
copies them (``from scipy.special import logsumexp``), hence the hook rather than waiting for
the first call.  The ufunc dispatch also calls :func:`ensure` when it meets a ufunc it has no
rule for, in case a module was loaded behind the hook's back.  Without SciPy nothing happens.
"""

import functools
import importlib
import sys
from collections.abc import Callable

from .core import DISPATCH

#: a SciPy module -> the dualdiff module holding its rules (installed when imported)
RULES = {"scipy.special": "dualdiff.rules.special", "scipy.stats": "dualdiff.rules.stats",
         "scipy.linalg": "dualdiff.rules.scipy_linalg"}


def once(install):
    """``install`` made idempotent: its body runs on the first call only."""
    done = []

    @functools.wraps(install)
    def run():
        if not done:
            done.append(True)
            install()

    return run


#: the SciPy functions routed so (name -> implementation on wrappers), for the catalogue
ROUTED: dict[str, Callable[..., object]] = {}


def routed(original, impl, name):
    """``original`` on plain arguments, ``impl`` when one (positional or keyword, at the top
    level) is a Dual, a tape value or a staging tracer (whose ``impl`` is recorded);
    ``original`` stays reachable as ``__dualdiff_original__``.
    """
    ROUTED[name] = impl

    @functools.wraps(original)
    def fn(*args, **kwargs):
        for a in args:
            if type(a) in DISPATCH:
                return impl(*args, **kwargs)
        for a in kwargs.values():
            if type(a) in DISPATCH:
                return impl(*args, **kwargs)
        return original(*args, **kwargs)

    fn.__dualdiff_original__ = original
    return fn


def replace_everywhere(new):
    """Put ``new[original]`` wherever a loaded SciPy module holds ``original`` (``from
    scipy.special import logsumexp`` inside scipy.stats copies the reference); one sweep."""
    by_id = {id(original): fn for original, fn in new.items()}
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "scipy" or name.startswith("scipy.")):
            continue
        d = getattr(mod, "__dict__", None)
        if not d:
            continue
        for attr, value in list(d.items()):
            fn = by_id.get(id(value))
            if fn is not None:
                setattr(mod, attr, fn)


def ensure(finished=None):
    """Load the rules of every SciPy module in :data:`RULES` that is imported (a rules module
    installs itself when its import completes; one being imported now is left to finish,
    except ``finished``, whose loader has just executed it)."""
    for name, rules in RULES.items():
        module = sys.modules.get(name)
        if module is not None and (name == finished or not _initializing(module)):
            importlib.import_module(rules)


def _initializing(module):
    """Whether ``module`` is still executing its import (``scipy.stats`` imports
    ``scipy.special`` and ``scipy.linalg`` on its way: its rules wait for it to finish, when
    its own loader calls :func:`ensure` again)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


class _Loader:
    """A loader that runs :func:`ensure` after the wrapped loader has executed its module."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        ensure(module.__name__)


class _Finder:
    """On ``sys.meta_path``: wraps the loader of the modules named in :data:`RULES`."""

    def find_spec(self, name, path=None, target=None):
        if name not in RULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


def install():
    """Put the finder on ``sys.meta_path`` (once) and install rules for SciPy already loaded."""
    if not any(type(f) is _Finder for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    ensure()
