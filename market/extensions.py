"""Flask extensions, created unbound and initialised in market.app."""

from flask import current_app
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from market.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def redis_from_config(config):
    """The connection MARKET_REDIS_URL names, or None: the demo runs without Redis. Short
    timeouts, so a Redis outage holds no request or job for more than a few seconds."""
    if not config.get("REDIS_URL"):
        return None
    from redis import Redis

    return Redis.from_url(
        config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=3, health_check_interval=30
    )


def redis_client():
    """This app's Redis connection (None without MARKET_REDIS_URL)."""
    return current_app.extensions.get("redis")


def redis_key(*parts: object) -> str:
    """A key under this deployment's prefix (MARKET_REDIS_PREFIX)."""
    return ":".join([current_app.config["REDIS_PREFIX"], *map(str, parts)])
