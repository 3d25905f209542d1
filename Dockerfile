# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2 \
    AUTH_REQUIRED_FOR_WRITES=true AUTH_REQUIRED_FOR_READS=true BLOCK_PRIVATE_TARGETS=true

WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install . && useradd --system --uid 10001 --home-dir /srv app \
    && mkdir -p /srv/var && chown app /srv/var
COPY alembic.ini ./
COPY migrations ./migrations
COPY bin ./bin

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["/srv/bin/serve"]
