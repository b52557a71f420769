"""SciPy, which only the sparse functions need (the ``sparse`` extra)."""


def require_scipy():
    """Import ``scipy.sparse``, or fail with a one-line message naming the extra."""
    try:
        import scipy.sparse
    except ImportError:
        raise ImportError("dualdiff's sparse Jacobians and Hessians need SciPy: "
                          "pip install 'dualdiff[sparse]'") from None
    return scipy.sparse
