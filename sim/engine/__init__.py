"""The engine: grids, propagation, the Sun, metrics, memory planning, the run and its result."""
