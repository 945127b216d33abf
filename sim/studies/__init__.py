"""Studies: what is simulated (``Study``), and the questions beyond revisit (capacity, survey, sweeps, sizing)."""
