#!/usr/bin/env bash
# Databases and logins of the lifecycle server, created once on an empty cluster.
#   airflow    Airflow's metadata, owned by the `airflow` login
#   superset   Superset's metadata, owned by the `superset` login
#   lifecycle  the warehouse and serving schemas, owned by the `lifecycle` login (dbt and
#              the publish step write as it)
#   bi_<role>  one login per role in LIFECYCLE_ROLES for the BI tool; it may connect to the
#              warehouse and is a member of the database role lifecycle_<role>, to which each
#              publication grants its own publish_<role> schema (lifecycle.publish_pg).
# The official postgres image runs this from /docker-entrypoint-initdb.d on first start;
# without Docker, run it against a fresh server (docs/server.md). Passwords come from the
# environment and are passed to psql as variables, so any character is safe.
set -euo pipefail

: "${AIRFLOW_DB_PASSWORD:?}" "${SUPERSET_DB_PASSWORD:?}" "${WAREHOUSE_PASSWORD:?}"
: "${LIFECYCLE_ROLES:?}"

run_psql() {
    psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-postgres}" "$@"
}

create_owned_database() {  # login, password, database
    run_psql -v login="$1" -v password="$2" -v database="$3" <<'SQL'
create role :"login" login password :'password';
create database :"database" owner :"login";
revoke all on database :"database" from public;
SQL
}

create_owned_database airflow "$AIRFLOW_DB_PASSWORD" airflow
create_owned_database superset "$SUPERSET_DB_PASSWORD" superset
create_owned_database lifecycle "$WAREHOUSE_PASSWORD" lifecycle
run_psql -c "alter role lifecycle createrole"  # publish creates the per-role roles

for role in $LIFECYCLE_ROLES; do
    var="BI_${role^^}_PASSWORD"
    run_psql -v login="bi_${role}" -v password="${!var:?$var is not set}" <<'SQL'
create role :"login" login password :'password';
grant connect on database lifecycle to :"login";
SQL
    run_psql -v login="bi_${role}" -v reader="lifecycle_${role}" <<'SQL'
select format('create role %I nologin', :'reader')
where not exists (select from pg_roles where rolname = :'reader') \gexec
grant :"reader" to :"login";
SQL
done
