"""Test-wide environment: Airflow and dbt never touch the user's home or the network."""

import os
import tempfile

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="lifecycle-test-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
