"""Propagation, grids, numba coverage kernels and figures of merit."""

from .grid import Grid
from .metrics import Target
from .propagate import Window
from .run import Result, run

__all__ = ["Grid", "Target", "Window", "Result", "run"]
