"""Command groups of the areas. Each module here defines ``register(app)``, which adds its
commands to ``app.cli``; ``matchmaker.cli`` finds them all, so an area never edits cli.py."""
