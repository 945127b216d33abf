"""Propagation, grids, numba coverage kernels, figures of merit and studies.

Layers, each importing only those before it:
:mod:`sim.kernels` (numba, plain arrays) -> :mod:`sim.engine` (grids,
propagation, metrics, ``Result``, ``run``) -> :mod:`sim.studies` (``Study``,
capacity, survey, sweeps, sizing) -> :mod:`sim.outputs` (files, plots, text).
"""

from sim.engine.grid import Grid
from sim.engine.metrics import Target
from sim.engine.propagate import Window
from sim.engine.result import Result
from sim.engine.run import run
from sim.studies.study import Study

__all__ = ["Study", "Grid", "Target", "Window", "Result", "run"]
