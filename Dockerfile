# analytics-assets: one image for the webserver, the daemon, celery workers and the CLI,
# installed from the lock file. `docker run IMAGE` alone starts webserver + daemon on the local
# (SQLite) instance; docker-compose.yml runs each part as its own service on PostgreSQL.
# (No Docker engine runs on the development machine: analytics_assets_tests/test_deploy_files.py
# checks this file and docker-compose.yml against the repository and the lock.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/home \
    ANALYTICS_DATA_DIR=/opt/dagster/data

WORKDIR /opt/analytics-assets
RUN pip install --no-cache-dir "uv>=0.4"

# Dependencies first (cached layer), exactly the locked versions.
COPY requirements.txt pyproject.toml README.md ./
RUN uv pip install --system --no-cache -r requirements.txt

COPY analytics_assets ./analytics_assets
COPY workspace.yaml ./
RUN uv pip install --system --no-cache --no-deps -e . \
    && mkdir -p "$DAGSTER_HOME" "$ANALYTICS_DATA_DIR"
# Both committed instance files: SQLite in the default DAGSTER_HOME, PostgreSQL in a second one
# that docker-compose.yml selects (DAGSTER_HOME=/opt/dagster/home-postgres).
COPY dagster.yaml "$DAGSTER_HOME/dagster.yaml"
COPY deploy/dagster.postgres.yaml /opt/dagster/home-postgres/dagster.yaml

EXPOSE 3000
# The daemon runs schedules, sensors and the run queue; the webserver serves the UI and API.
CMD ["sh", "-c", "dagster-daemon run -w workspace.yaml & exec dagster-webserver -h 0.0.0.0 -p 3000 -w workspace.yaml"]
