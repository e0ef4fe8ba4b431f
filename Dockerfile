FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
 && DEBUG=0 SECRET_KEY=build-only-collectstatic-key python manage.py collectstatic --noinput
RUN useradd --create-home helpdesk && mkdir -p /app/var /app/media && chown -R helpdesk /app/var /app/media
USER helpdesk
EXPOSE 8000
# Pages and live chat (websockets) from one ASGI server; with REDIS_URL set, workers share the
# channel layer, so more than one is fine.
CMD ["uvicorn", "helpdesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "3", "--ws-max-size", "65536", "--ws-per-message-deflate", "false", "--proxy-headers", "--no-server-header"]
