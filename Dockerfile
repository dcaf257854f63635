# The Jiangbei workbench as one image: gunicorn serving Django, whitenoise serving the collected static
# files. The database is external (DATABASE_URL); docker-compose.yml pairs this image with postgres:16.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    JIANBEI_DATA_DIR=/data \
    DJANGO_MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when pyproject.toml
# changes. With no source present, `pip install .` installs the project's dependencies (psycopg2-binary,
# gunicorn, whitenoise, ...) and an empty `jianbei` distribution. The code itself runs from /app (it is
# first on PYTHONPATH), because settings.py finds templates/, static/ and locale/ next to the jianbei
# package; a copy in site-packages would not have them.
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected at build time; nothing here needs a database. A DATABASE_URL is set for
# this step only so that settings.py parses it instead of starting the embedded PostgreSQL (it does not
# connect), and a throwaway secret key so that no key file is written into the image.
RUN DATABASE_URL=postgres://build@localhost/build \
    DJANGO_SECRET_KEY=collectstatic-build-only \
    python manage.py collectstatic --noinput

# Run as an unprivileged user. /data holds uploads (DJANGO_MEDIA_ROOT) and, when DJANGO_SECRET_KEY is
# unset, the generated secret key; mount a volume there to keep them (docker-compose.yml does).
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/media \
    && chown -R app:app /data
USER app

EXPOSE 8000

# docker-compose.yml runs migrations before this; elsewhere run `python manage.py migrate` first.
CMD ["gunicorn", "jianbei.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "5", "--access-logfile", "-"]
