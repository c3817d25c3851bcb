"""The web floor: the Flask app, its blueprints and doors. Nothing imports it."""
