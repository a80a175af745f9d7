"""Signal trading's producers: candles from trades, strategies on them, signals on the bus."""
