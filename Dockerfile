# escr: one image for the API and the pipeline workers (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

# OMP_THREAD_LIMIT=1: one Tesseract thread per process; the workers scale by process, one per core.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_THREAD_LIMIT=1 \
    ESCR_HOME=/var/lib/escr

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng libmagic1 \
        libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
        libreoffice-draw-nogui python3-uno fonts-liberation2 fonts-dejavu-core \
        fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*
# Writer's UI files, which the -nogui package leaves out (LibreOffice aborts on a comment).
COPY scripts/libreoffice-writer-ui.sh /usr/local/sbin/
RUN apt-get update && /usr/local/sbin/libreoffice-writer-ui.sh && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Everything the package build needs; .dockerignore keeps out tests, caches and local data.
COPY . .
# Compiled here, once: with PYTHONDONTWRITEBYTECODE every process would compile escr and its
# libraries again at each start (docs/decisions/0050).
RUN pip install '.[scale]'

RUN useradd --system --create-home --home-dir /var/lib/escr escr
USER escr
EXPOSE 8000
ENTRYPOINT ["escr"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
