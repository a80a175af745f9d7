"""The simulated market: a latent fair value and a seeded swarm of traders acting on the matching engines.

Entry point: ``swarm.Swarm`` (configured by ``swarm.SwarmConfig``); see docs/simulator.md.
"""
