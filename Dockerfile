# Airflow 3 with the lifecycle project, for docker-compose.yml: the same pins as `make setup`
# (requirements.lock) and the project installed editable at /opt/lifecycle, because the
# package finds config/ and dbt_project/ beside plugins/ (lifecycle.paths.REPO_ROOT).
# The compose file mounts dags/ and config/ over the copies baked in here.
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow \
    LIFECYCLE_HOME=/opt/lifecycle/home \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    GX_ANALYTICS_ENABLED=False

RUN useradd --create-home --home-dir /opt/airflow --uid 50000 airflow
WORKDIR /opt/lifecycle

# Dependencies first: a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml ./
COPY plugins/ plugins/
COPY dags/ dags/
COPY config/ config/
COPY dbt_project/ dbt_project/
COPY expectations/ expectations/
COPY deploy/airflow/ deploy/airflow/
RUN pip install --no-deps -e . \
    && mkdir -p /opt/lifecycle/home /opt/airflow/logs /opt/airflow/secrets \
    && chown -R airflow: /opt/lifecycle /opt/airflow

USER airflow
EXPOSE 8080
