"""Deterministic demo-data generators for the bundled seeds.

Each module (pgb, aps) exposes `generate(rng: random.Random) -> dict[str, list[dict]]`
mapping a seed name to its rows; scripts/generate_demo_data.py writes them.
"""
