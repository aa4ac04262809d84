"""Customer-lifecycle data platform: task logic behind the Airflow DAGs and the `lifecycle` CLI."""
