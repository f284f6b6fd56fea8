"""Input parsing and validation (Flask-WTF). Forms never touch the database."""
