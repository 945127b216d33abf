"""Outputs: result files, plots and text reports.  Nothing here computes figures."""
