# UPR Portal image: web (gunicorn), Celery worker and beat all run from it.
# docker-compose.yml shows how; SECRET_KEY and DATABASE_URL come from the environment.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint 70 (pango, harfbuzz-subset), fonts for Arabic/Cyrillic PDFs, gettext.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core gettext \
    && rm -rf /var/lib/apt/lists/*

# A writable home: gunicorn 27 puts its control socket in ~/.gunicorn.
RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps .

# Run from the checkout in /app (not the installed copy) so that BASE_DIR-relative
# templates, static and locale folders are found by the web server, worker and beat alike.
ENV PYTHONPATH=/app \
    STATIC_ROOT=/app/var/static \
    MEDIA_ROOT=/app/var/media

# Static files and compiled translations (.mo files are not in git) are part of the image;
# the key is a build-time dummy, never used at run time.
RUN SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && SECRET_KEY=collectstatic-build-only python manage.py compilemessages --ignore=var \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "upr_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
