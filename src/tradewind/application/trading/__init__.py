"""Signal trading's position manager: signals in, orders and deals out, positions protected and reconciled."""
