#!/usr/bin/env bash
# One-time (and idempotent) Airflow set-up on the server: migrate the metadata database,
# create the warehouse's one-slot pool (one writer at a time) and the api-server's admin
# login. Run by the one-shot `airflow-init` service of docker-compose.yml, or by hand with the
# same environment before the four Airflow services start (docs/server.md).
set -euo pipefail

: "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:?}" "${AIRFLOW_ADMIN_PASSWORD:?}"

airflow db migrate
airflow pools set lifecycle_warehouse 1 "one writer at a time on the warehouse"

# The simple auth manager reads its users' passwords from this JSON file.
passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"
mkdir -p "$(dirname "$passwords")"
python -c 'import json, os, sys; print(json.dumps({"admin": os.environ["AIRFLOW_ADMIN_PASSWORD"]}))' \
    > "$passwords"
chmod 600 "$passwords"
echo "airflow: metadata migrated, pool lifecycle_warehouse set, admin login written"
