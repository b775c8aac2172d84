"""gunicorn settings for the production profile (scripts/production.sh); any of them can
be overridden on the command line or in GUNICORN_CMD_ARGS."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("MARKET_WEB_WORKERS", "4"))
# Threads within each worker: a request waiting on the payment gateway holds a thread, not
# a process. The app is thread-safe (the matching index swaps whole snapshots).
worker_class = "gthread"
threads = int(os.environ.get("MARKET_WEB_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# How long an idle client connection stays open (gunicorn's default is 2 s). Longer than a
# load balancer's or a client's idle pool timeout (60 s is common), so the server never
# closes a connection just as the other side reuses it for a POST, which then fails with
# "connection closed" and no answer (the load test saw this after a user's pause). gthread
# keeps idle connections in its poller, not in a thread.
keepalive = int(os.environ.get("MARKET_WEB_KEEPALIVE", "75"))
# Recycle a worker now and then, with jitter so not all at once — but rarely: a new worker
# builds its matching index on its first ranking (tens of seconds at a million listings,
# docs/benchmarks.md "Load test"), and at 5,000 requests a worker serving 150 requests/s
# was replaced every half minute.
max_requests = 200_000
max_requests_jitter = 20_000


def post_worker_init(worker):
    """Each worker builds its matching index in a background thread as it starts, not on
    its first match page (MARKET_MATCHING_WARM=0: on the first ranking, as before)."""
    if os.environ.get("MARKET_MATCHING_WARM", "1") == "1":
        from market.matching.service import warm_in_background

        warm_in_background(worker.wsgi)


accesslog = None  # the app logs one line per request (market/logs.py), with its request id
errorlog = "-"
# One control socket per checkout, so two deployments on one machine do not share one.
_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
control_socket = os.path.join(_root, "instance", "gunicorn.ctl")

if os.environ.get("MARKET_LOG_FORMAT", "plain") == "json":
    _json = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level"},
    }
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": _json},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            # the app's own line per request replaces the access log
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": []},
    }
