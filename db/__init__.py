"""The SQLite store: schema, migrations and every SQL statement of the project."""
