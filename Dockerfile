# Lienthong hub image: slim, non-root, runs `lienthong serve`.
# The build stage runs the same commands as .ci/install-smoke, which CI runs on every
# change (there with VENV and DIST in a temporary directory): build the wheel, install it
# in a fresh venv.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md MANIFEST.in ./
COPY gateway ./gateway
COPY adapters ./adapters
ENV VENV=/opt/lienthong DIST=/dist PIP_NO_CACHE_DIR=1
RUN python -m venv "$VENV" \
    && "$VENV/bin/python" -m pip wheel -q --no-deps --wheel-dir "$DIST" . \
    && "$VENV/bin/python" -m pip install -q "$DIST"/lienthong-*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/lienthong --create-home lienthong
COPY --from=build /opt/lienthong /opt/lienthong
ENV PATH=/opt/lienthong/bin:$PATH \
    LIENTHONG_HOME=/var/lib/lienthong \
    LIENTHONG_HUB_LISTEN=0.0.0.0:8480 \
    PYTHONUNBUFFERED=1
USER lienthong
WORKDIR /var/lib/lienthong
VOLUME ["/var/lib/lienthong"]
EXPOSE 8480
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8480/healthz')"
CMD ["lienthong", "serve"]
