"""Pure-Python core: entities, lifecycle rules, notes and allergens, table fitting, pacing.

Nothing here imports another layer of the project, Qt, HTTP or SQL (checked by tests/test_layering.py).
"""
