"""TWAP execution: control, the scheduling service and the ordering service, talking over the bus."""
