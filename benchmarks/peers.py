"""The systems compared: dualdiff and the peers a user would pick instead.

Each peer is imported on demand. One that is missing is skipped with a printed line;
the runner never fails for want of a peer. JAX runs on the CPU in float64 (x64 enabled
before any array exists); PyTorch runs ``torch.func`` on the CPU in float64.

The NumPy-native peers differentiate plain ``np.*`` code, as dualdiff does:

- advect (Python >= 3.12 only; skipped with one line on older Pythons): ``ad.grad``,
  ``ad.jvp(f)(x, tangents=v)``, ``ad.hvp(f)(x, vectors=v)``, ``ad.jacobian``, and the same
  through ``ad.stage`` (a staged program, traced once per signature);
- autograd >= 1.9, which traces plain ``np.*`` since 1.9: timed on the plain NumPy code
  (key ``autograd.np``) and through ``autograd.numpy`` (key ``autograd``);
- mygrad, reverse mode only (``Tensor.backward``): gradients, no JVP or HVP rows.

advect needs a second environment on a Python older than 3.12; see the README's *Speed*.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ALL_PEERS = ("jax", "autograd", "torch", "advect", "mygrad")
MIN_PYTHON = {"advect": (3, 12)}  # peers that need a newer Python than this project does


@dataclass
class Systems:
    dd: ModuleType | None = None  # dualdiff
    jax: ModuleType | None = None
    jnp: ModuleType | None = None
    autograd: ModuleType | None = None
    anp: ModuleType | None = None
    torch: ModuleType | None = None
    advect: ModuleType | None = None
    mygrad: ModuleType | None = None
    autograd_plain: bool = False  # autograd >= 1.9 traces plain np.* code
    versions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def torch_tensor(self, array: Any) -> Any:
        """A float64 CPU tensor sharing memory with a NumPy array (no copy)."""
        import numpy as np

        return self.torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))


def _import_dualdiff(s: Systems) -> None:
    try:
        import dualdiff
    except Exception as exc:  # the core may not be importable yet
        s.skipped["dualdiff"] = f"not importable ({type(exc).__name__}: {exc})"
        return
    s.dd = dualdiff
    version = getattr(dualdiff, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as dist_version

            version = dist_version("exactdual") + " (installed distribution)"
        except Exception:
            version = "unknown (not installed; imported from the work tree)"
    s.versions["dualdiff"] = version
    s.versions["dualdiff commit"] = _git_state(Path(dualdiff.__file__).resolve().parent)


def _git_state(package: Path) -> str:
    """The commit of the work tree dualdiff was imported from, read at import time."""
    try:
        rev = subprocess.run(["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(package), "status", "--porcelain", "."],
                               capture_output=True, text=True, timeout=10)
    except Exception:
        return "unknown"
    if rev.returncode != 0:
        return "unknown (not a git work tree)"
    return rev.stdout.strip() + (" + uncommitted changes in dualdiff/" if dirty.stdout.strip()
                                 else "")


def _import_jax(s: Systems) -> None:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    s.jax, s.jnp = jax, jnp
    s.versions["jax"] = jax.__version__
    try:
        import jaxlib

        s.versions["jaxlib"] = jaxlib.__version__
    except Exception:  # pragma: no cover - jaxlib always comes with jax
        pass


def _import_autograd(s: Systems) -> None:
    import autograd
    import autograd.numpy as anp

    s.autograd, s.anp = autograd, anp
    s.versions["autograd"] = _version("autograd")
    s.autograd_plain = _at_least(s.versions["autograd"], (1, 9))
    if not s.autograd_plain:
        s.versions["autograd"] += " (before 1.9: plain np.* not traced, autograd.np rows left out)"


def _version(distribution: str) -> str:
    try:
        from importlib.metadata import version

        return version(distribution)
    except Exception:
        return "unknown"


def _at_least(version: str, wanted: tuple[int, ...]) -> bool:
    parts = []
    for piece in version.split(".")[: len(wanted)]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts) >= wanted


def _import_advect(s: Systems) -> None:
    import advect

    s.advect = advect
    s.versions["advect"] = getattr(advect, "__version__", None) or _version("advect")


def _import_mygrad(s: Systems) -> None:
    import mygrad

    s.mygrad = mygrad
    s.versions["mygrad"] = getattr(mygrad, "__version__", None) or _version("mygrad")


def _import_torch(s: Systems) -> None:
    import torch
    import torch.func  # noqa: F401  (functional transforms: jvp, grad, vjp, jacfwd)

    s.torch = torch
    s.versions["torch"] = torch.__version__
    s.versions["torch threads"] = str(torch.get_num_threads())


def load_systems(peers: tuple[str, ...] | None = ALL_PEERS, log=print) -> Systems:
    """Import dualdiff and the wanted peers; report every one that is skipped."""
    s = Systems()
    _import_dualdiff(s)
    if "dualdiff" in s.skipped:
        log(f"skipping dualdiff: {s.skipped['dualdiff']}")
    loaders = {"jax": _import_jax, "autograd": _import_autograd, "torch": _import_torch,
               "advect": _import_advect, "mygrad": _import_mygrad}
    for name in peers or ():
        if name not in loaders:
            raise ValueError(f"unknown peer {name!r}; known: {', '.join(ALL_PEERS)}")
        need = MIN_PYTHON.get(name)
        if need and sys.version_info < need:
            s.skipped[name] = (f"needs Python >= {'.'.join(map(str, need))} (this is "
                               f"{sys.version.split()[0]}); run the benchmarks in a second "
                               "venv, see the README's Speed section")
            log(f"skipping {name}: {s.skipped[name]}")
            continue
        try:
            loaders[name](s)
        except ImportError as exc:
            s.skipped[name] = f"not installed ({exc}); pip install '.[bench]'"
            log(f"skipping {name}: {s.skipped[name]}")
        except Exception as exc:
            s.skipped[name] = f"failed to load ({type(exc).__name__}: {exc})"
            log(f"skipping {name}: {s.skipped[name]}")
    for name in ALL_PEERS:
        if peers is not None and name not in peers and name not in s.skipped:
            s.skipped[name] = "not requested (--peers)"
    return s
