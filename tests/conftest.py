from pathlib import Path

import pytest

# Helper modules get pytest's assertion messages too (before any test imports them).
pytest.register_assert_rewrite("reference")

SHARED_TLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tle"


@pytest.fixture
def shared_tle():
    if not SHARED_TLE.is_dir():
        pytest.skip("../shared/data/tle is not present (fresh clone)")
    return SHARED_TLE
