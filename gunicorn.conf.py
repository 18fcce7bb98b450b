"""gunicorn settings for `make run` and production: `gunicorn --config gunicorn.conf.py`.

Web workers are stateless (the database, stored embeddings and index files are shared), so they
scale with the CPUs: 2 x CPUs processes of 4 threads each, unless WEB_CONCURRENCY says otherwise.
Each process builds its own app (no preload): engines and queue connections are never shared
across a fork.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "matchmaker:create_app()"
# HOST/PORT as Procfile runners (honcho, foreman) pass them; behind a proxy bind to 127.0.0.1.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
# Long work is the job worker's; a request that takes this long is stuck.
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# The proxy in front (nginx, a load balancer) sets X-Forwarded-*; trust it only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
