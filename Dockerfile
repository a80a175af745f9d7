# One image for every Tradewind service: `docker run tradewind service NAME` (see docs/deploy.md).
# The build stage has the C compiler that setup.py needs to compile the matching core with mypyc.
FROM python:3.11-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml setup.py README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies are pinned in pyproject.toml; installing the package's wheel installs exactly those.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tradewind

COPY deploy/k8s/tradewind.yaml /app/tradewind.yaml

USER 10001

# 8080: the Bybit V5-protocol server (sim-exchange); 9101-9111: /healthz, /readyz, /metrics per service.
EXPOSE 8080 9101-9111

# The service to probe is named by TRADEWIND_SERVICE (set per container); ready = broker and database answer.
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
    CMD ["tradewind", "service-health", "--check", "ready"]

ENTRYPOINT ["tradewind"]
CMD ["service", "--list"]
