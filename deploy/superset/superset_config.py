"""Superset's configuration for the lifecycle platform: everything from the environment.

Used by the compose services (SUPERSET_CONFIG_PATH=/app/superset_config.py), by a Superset
started without Docker (docs/server.md) and by tests/integration/test_superset_bi.py.
"""

import os

# Signs sessions and encrypts the stored database passwords: required, never a default.
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# Superset's own metadata (users, saved connections): PostgreSQL on the server, SQLite in tests.
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URI"]
# No example data set: BI users read only the published role schemas.
SQLALCHEMY_EXAMPLES_URI = SQLALCHEMY_DATABASE_URI
