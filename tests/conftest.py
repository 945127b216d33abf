"""What tests share: sample inputs in tests/data/ (as fixtures, and as path
constants for the few parametrizations that need a value at import time) and
the reference implementations in tests/reference.py.

Test modules never import each other: shared inputs live here and in
tests/data/, shared code in helper modules such as reference.py.
"""

from pathlib import Path
from typing import NamedTuple

import pytest

# Helper modules get pytest's assertion messages too (before any test imports them).
pytest.register_assert_rewrite("reference")

SHARED_TLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tle"

DATA = Path(__file__).resolve().parent / "data"
# Two LINGQIAO VIDEO element sets (NORAD 40959, 40960) in every catalog format;
# sample.tle is a 3LE file and the source of the TLE lines.
CATALOG_SAMPLES = {fmt: DATA / "catalog" / f"sample.{fmt}" for fmt in ("tle", "csv", "json", "xml", "kvn")}
SAMPLE_TLE = CATALOG_SAMPLES["tle"]
TINY_TOML = DATA / "tiny.toml"  # 4 satellites, 3 hours, 10 deg grid; also the golden files' scenario
TINY_2H_TOML = DATA / "tiny_2h.toml"  # the same constellation, 2 hours, a 30 min target


def read_sample(path: Path) -> str:
    """A data file's text exactly as stored (sample.csv's CRLF line ends stay)."""
    return path.read_bytes().decode("utf-8")


class TleLines(NamedTuple):
    L1: str
    L2: str
    L1B: str
    L2B: str


@pytest.fixture
def shared_tle():
    if not SHARED_TLE.is_dir():
        pytest.skip("../shared/data/tle is not present (fresh clone)")
    return SHARED_TLE


@pytest.fixture
def tle_lines() -> TleLines:
    """Lines 1 and 2 of sample.tle's two element sets: L1, L2 (LINGQIAO VIDEO A), L1B, L2B (B)."""
    _, l1, l2, _, l1b, l2b = SAMPLE_TLE.read_text().splitlines()
    return TleLines(l1, l2, l1b, l2b)


@pytest.fixture
def catalog_samples() -> dict[str, str]:
    """{format: text} of tests/data/catalog/sample.*, in the order tle, csv, json, xml, kvn."""
    return {fmt: read_sample(p) for fmt, p in CATALOG_SAMPLES.items()}


@pytest.fixture
def tiny_scenario() -> str:
    """The text of tests/data/tiny.toml."""
    return TINY_TOML.read_text()


@pytest.fixture
def tiny_2h_scenario() -> str:
    """The text of tests/data/tiny_2h.toml."""
    return TINY_2H_TOML.read_text()
