"""The spread workflow: the signal engine (books -> spread orders) and the trading engine (ACK / NACK)."""
