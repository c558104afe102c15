# syntax=docker/dockerfile:1
# AegisSLO's image: the gate on the embedded default (synthetic adapter, SQLite, fixtures/slo/valid).
# Layout, volumes, variables and the Compose profiles: docs/container.md.
#
# The base is pinned by tag: Python 3.11 on Debian 12, the versions `make test` runs on. In production
# pin its digest as well: --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest>.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: scripts/install.sh is the very script `make install` runs, so the image installs
# exactly as a developer does, minus the editable mode and the test extras (see docs/container.md).
FROM ${PYTHON_IMAGE} AS build
ENV VIRTUAL_ENV=/opt/aegis
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scripts/install.sh scripts/
COPY aegis/ aegis/
RUN --mount=type=cache,target=/root/.cache/pip scripts/install.sh --extras postgres "$VIRTUAL_ENV"

# Runtime stage: the virtualenv, the shipped fixtures and nothing else; no compiler, no curl.
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="AegisSLO" \
      org.opencontainers.image.description="Release gate: ALLOW, WARN or BLOCK from SLO burn rates" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 aegis \
    && useradd --system --uid 10001 --gid aegis --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin aegis \
    && mkdir /data \
    && chown aegis:aegis /data
ENV VIRTUAL_ENV=/opt/aegis
COPY --from=build /opt/aegis /opt/aegis
WORKDIR /app
COPY fixtures/ fixtures/
# Every aegis-server flag has a variable (README, Configuration); these spell out the embedded default
# so that `docker run -e ADAPTER_TYPE=prometheus -e PROMETHEUS_URL=...` changes only what it names.
ENV PATH="/opt/aegis/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    GRPC_PORT=50051 \
    ADAPTER_TYPE=synthetic \
    SLO_DIR=/app/fixtures/slo/valid \
    SYNTHETIC_FIXTURES=/app/fixtures/metrics \
    DB_PATH=/data/aegis.db
# The SQLite audit log (and its -wal/-shm files) lives here; the rest of the image is read-only to aegis.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080 50051
# Liveness of the REST listener on $PORT, with the image's own Python: no curl or wget needed.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "aegis.cli.healthcheck"]
ENTRYPOINT ["aegis-server"]
