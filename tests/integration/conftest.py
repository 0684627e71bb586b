import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BINARY  # noqa: E402


def pytest_configure(config):
    if not os.path.exists(BINARY):
        raise pytest.UsageError(f"river binary not found at {BINARY}; run `make build` first")
