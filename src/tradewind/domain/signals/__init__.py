"""Signal trading's rules: the signal, the strategy interface, indicators and the built-in strategies."""
