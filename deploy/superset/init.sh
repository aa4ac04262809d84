#!/usr/bin/env bash
# Provision Superset without clicking: metadata schema, admin user, roles and permissions,
# and one database connection per lifecycle role, each logging in to the serving database
# as that role's PostgreSQL login (bi_<role>), which can read only its own publish schema.
# Run by the one-shot `superset-init` service of docker-compose.yml, or by hand with the
# same variables (docs/server.md). Safe to re-run: existing users and connections are kept,
# a changed password is written into the connection.
set -euo pipefail

: "${SUPERSET_ADMIN_USER:?}" "${SUPERSET_ADMIN_PASSWORD:?}" "${LIFECYCLE_ROLES:?}"
: "${WAREHOUSE_HOST:?}" "${WAREHOUSE_PORT:?}" "${WAREHOUSE_DB:?}"

superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --firstname Lifecycle \
    --lastname Admin --email "${SUPERSET_ADMIN_EMAIL:-admin@localhost}" \
    --password "$SUPERSET_ADMIN_PASSWORD"
superset init

urlencode() { python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

for role in $LIFECYCLE_ROLES; do
    var="BI_${role^^}_PASSWORD"
    password="${!var:?$var is not set}"
    uri="postgresql+psycopg2://bi_${role}:$(urlencode "$password")@${WAREHOUSE_HOST}:${WAREHOUSE_PORT}/${WAREHOUSE_DB}"
    superset set-database-uri --database_name "lifecycle_${role}" --uri "$uri"
    echo "connection lifecycle_${role}: bi_${role}@${WAREHOUSE_HOST}:${WAREHOUSE_PORT}/${WAREHOUSE_DB}"
done
