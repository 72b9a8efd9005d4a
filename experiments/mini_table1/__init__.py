"""Table 1 in miniature: a counter task trained and evaluated end to end with ltdata and ltrain on a CPU."""
