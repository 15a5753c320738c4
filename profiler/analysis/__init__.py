"""Analysis over measured runs: comparison, value (per joule / per dollar), crossover sweeps."""
