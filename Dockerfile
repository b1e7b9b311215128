# Lienthong hub image: slim, non-root, runs `lienthong serve`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY adapters ./adapters
COPY schemas ./schemas
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/lienthong --create-home lienthong
COPY --from=build /install /usr/local
ENV LIENTHONG_HOME=/var/lib/lienthong \
    LIENTHONG_HUB_LISTEN=0.0.0.0:8480 \
    PYTHONUNBUFFERED=1
USER lienthong
WORKDIR /var/lib/lienthong
VOLUME ["/var/lib/lienthong"]
EXPOSE 8480
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8480/healthz')"
CMD ["lienthong", "serve"]
