"""Shared test configuration: hypothesis profiles and a fixed NumPy seed.

Profiles: ``ci`` (derandomized, so a CI run is reproducible and never flaky; modest example
counts to keep the suite fast on a 2-core machine) is chosen when the environment variable
``CI`` is set, ``dev`` otherwise.  ``HYPOTHESIS_PROFILE=thorough`` runs many more examples
for a soak before a release.
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# The test helpers (reference.py, strategies.py) are imported as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=15,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)

SEED = 20240607


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed: tests that draw random data are reproducible."""
    return np.random.default_rng(SEED)


@pytest.fixture(autouse=True)
def _seed_legacy_numpy():
    """Seed NumPy's global generator too, for code that uses ``np.random.*`` directly."""
    np.random.seed(SEED % 2**32)
    yield
