"""Run specifications, results, statistics and everything derived from them."""
