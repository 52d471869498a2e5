# syntax=docker/dockerfile:1
# s3-b2-gateway: docker build -t s3-b2-gateway:0.1.0 .
#   docker run --rm -p 8080:8080 -p 9090:9090 \
#     -e B2_APPLICATION_KEY_ID -e B2_APPLICATION_KEY s3-b2-gateway:0.1.0
ARG PYTHON_VERSION=3.11

# --- build: a wheel of the gateway and of every dependency -------------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- runtime: the wheels installed into a slim Python, run as an unprivileged user --------------
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels s3-b2-gateway \
    && groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin gateway \
    && mkdir /data && chown gateway:gateway /data
# Serve settings as environment defaults (not flags), so `docker run -e GATEWAY_...=` and
# Kubernetes ConfigMaps override them, and the HEALTHCHECK reads the same metrics port.
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8080 \
    GATEWAY_METRICS_PORT=9090 \
    GATEWAY_DATA_DIR=/data
WORKDIR /data
USER 10001:10001
EXPOSE 8080 9090
# No curl in slim images: Python asks the metrics listener whether the process is alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GATEWAY_METRICS_PORT', '9090') + '/health/live', timeout=4)"]
# SIGTERM drains: readiness fails, in-flight requests get GATEWAY_SHUTDOWN_GRACE_SECONDS (30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["s3-b2-gateway"]
CMD ["serve"]
