"""Configuration: defaults for the embedded demo, overrides from the environment."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'market.db'}"


def normalise_database_url(url: str) -> str:
    """Heroku-style postgres:// URLs name the psycopg 3 driver explicitly."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = os.environ.get("MARKET_SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL") or _default_database_url()
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("MARKET_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    # Redis (production profile, README "Production"): rate limits shared by every web
    # process, the job queue, and the matching index's change notices. Empty: the demo's
    # single machine without Redis (limits in memory, scheduled commands run by
    # scripts/scheduler.sh, matching indexes polled).
    REDIS_URL = os.environ.get("MARKET_REDIS_URL", "")
    # Every key this deployment writes starts with it (one Redis may serve several).
    REDIS_PREFIX = os.environ.get("MARKET_REDIS_PREFIX", "market")
    RATELIMIT_STORAGE_URI = (
        os.environ.get("MARKET_RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    )
    RATELIMIT_KEY_PREFIX = REDIS_PREFIX
    # Redis down: each process counts on its own in memory until Redis answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = RATELIMIT_STORAGE_URI != "memory://"
    RATELIMIT_STORAGE_OPTIONS = (
        {"socket_connect_timeout": 2, "socket_timeout": 3}
        if RATELIMIT_STORAGE_URI.startswith("redis")
        else {}
    )
    # `json`: one JSON object per log line, a line per request (the production profile);
    # `plain`: Flask's and the development server's own lines.
    LOG_FORMAT = os.environ.get("MARKET_LOG_FORMAT", "plain")
    # Behind a load balancer or reverse proxy: how many of them set X-Forwarded-For/-Proto,
    # so rate limits and logs see the client's address, not the balancer's. 0: none.
    PROXY_HOPS = int(os.environ.get("MARKET_PROXY_HOPS", "0"))
    # The production scheduler: how often it queues the scheduled commands.
    SCHEDULER_SECONDS = float(os.environ.get("MARKET_SCHEDULER_SECONDS", "60"))
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("MARKET_LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # The public manifest verification page, per address: a person scanning QR codes at a
    # weighbridge stays far below it; a script trying tokens does not.
    VERIFY_RATE_LIMIT = os.environ.get("MARKET_VERIFY_RATE_LIMIT", "30 per minute;300 per hour")
    PASSWORD_HASH_METHOD = "scrypt"
    LISTINGS_PER_PAGE = 20
    # Open bidding: a bid this close to the deadline moves it this far out.
    BID_EXTENSION_MINUTES = int(os.environ.get("MARKET_BID_EXTENSION_MINUTES", "5"))
    # Payments: the official stripe client; localstripe (started by run.sh and the tests)
    # unless MARKET_STRIPE_API_BASE is set empty and a live key is given.
    STRIPE_API_KEY = os.environ.get("MARKET_STRIPE_API_KEY", "sk_test_localstripe")
    STRIPE_API_BASE = os.environ.get("MARKET_STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_TIMEOUT_SECONDS = float(os.environ.get("MARKET_STRIPE_TIMEOUT_SECONDS", "10"))
    # Attach Stripe's test card to new customers: development and tests only.
    PAYMENTS_TEST_CARDS = os.environ.get("MARKET_PAYMENTS_TEST_CARDS", "1") == "1"
    # How often a worker re-reads changed listings into its matching index, and
    # rebuilds it whole (README: "How fresh matches are").
    MATCHING_REFRESH_SECONDS = float(os.environ.get("MARKET_MATCHING_REFRESH_SECONDS", "1"))
    MATCHING_REBUILD_SECONDS = float(os.environ.get("MARKET_MATCHING_REBUILD_SECONDS", "600"))
    # The trading hall's shared reads (a filter's count and page of ids; the open listings'
    # coordinates for nearest-first) are kept this long, in Redis when configured, else in
    # the process; 0 turns the cache off. A listing's change shows at once to every process
    # with Redis (the change notice), else within this many seconds.
    HALL_CACHE_SECONDS = float(os.environ.get("MARKET_HALL_CACHE_SECONDS", "5"))
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # suggestions one park administrator may send as facilitator in 24 hours
    FACILITATOR_DAILY_LIMIT = int(os.environ.get("MARKET_FACILITATOR_DAILY_LIMIT", "50"))
    # Credit evidence (photos, PDFs): each file's limit and where files are kept, outside
    # static/ (default <instance>/credit_evidence).
    CREDIT_EVIDENCE_MAX_BYTES = int(os.environ.get("MARKET_CREDIT_EVIDENCE_MAX_BYTES", 5 << 20))
    CREDIT_EVIDENCE_DIR = os.environ.get("MARKET_CREDIT_EVIDENCE_DIR", "")
    # Listing attachments (photos, lab reports, MSDS): per-file limit, files per listing, and
    # where they are kept, outside static/ (default <instance>/listing_files).
    LISTING_FILE_MAX_BYTES = int(os.environ.get("MARKET_LISTING_FILE_MAX_BYTES", 10 << 20))
    LISTING_FILES_PER_LISTING = int(os.environ.get("MARKET_LISTING_FILES_PER_LISTING", "8"))
    LISTING_FILES_DIR = (
        str(Path(os.environ["MARKET_UPLOAD_DIR"]) / "listing_files")
        if os.environ.get("MARKET_UPLOAD_DIR")
        else ""
    )
    LICENCE_DOCUMENT_DIR = os.environ.get("MARKET_LICENCE_DOCUMENT_DIR", "")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    SERVER_NAME = "localhost"
    REDIS_URL = ""  # a test that needs Redis configures its own app (tests/redis_support.py)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = False
    RATELIMIT_STORAGE_OPTIONS: dict = {}
    LOG_FORMAT = "plain"
    # Off: some tests write rows directly (no change notice), which the hall's cache would
    # hide; tests/functional/test_hall_cache.py turns it on (TEST_HALL_CACHE_SECONDS: all).
    HALL_CACHE_SECONDS = float(os.environ.get("TEST_HALL_CACHE_SECONDS", "0"))
