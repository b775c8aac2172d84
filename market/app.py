"""The application factory."""

from flask import Flask, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market.config import ROOT, Config

LANGUAGES = ("zh_CN", "en")


def create_app(config: object | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config or Config)
    from market import logs

    logs.configure(app)  # first: its request id is set before any other hook runs
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    from market.errors import register_error_handlers

    register_error_handlers(app)
    from market.cli import register_cli

    register_cli(app)
    return app


def select_locale() -> str:
    """API: Accept-Language. Pages: session choice, then the user's saved one. Else Chinese
    (also outside requests: commands, schedulers, worker threads)."""
    if not has_request_context():
        return "zh_CN"
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, default="zh_CN")
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return current_user.locale
    return "zh_CN"


def register_extensions(app: Flask) -> None:
    from market import models, notices  # noqa: F401  (every table known; commit notices)
    from market.accounts.auth import load_user
    from market.db import enable_sqlite_pragmas
    from market.deals.gateway import gateway_from_config
    from market.extensions import (
        babel,
        bootstrap,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
        redis_from_config,
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "market" / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.user_loader(load_user)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
    app.extensions["payments"] = gateway_from_config(app.config)
    app.extensions["redis"] = redis_from_config(app.config)


def register_blueprints(app: Flask) -> None:
    from market.accounts.team_views import bp as team
    from market.accounts.views import bp as accounts
    from market.admin.dashboard_views import bp as park_dashboard
    from market.admin.desk_views import bp as desk
    from market.admin.review_views import bp as review
    from market.admin.sites import bp as admin_sites
    from market.admin.views import bp as admin
    from market.api.setup import init_api
    from market.catalog.views import bp as catalog
    from market.credit.register_views import bp as credit_register
    from market.credit.views import bp as credit
    from market.credit.violation_views import bp as credit_violations
    from market.deals.views import bp as deals
    from market.health import bp as health
    from market.inbox.views import bp as inbox
    from market.listings.attachment_views import bp as attachments
    from market.listings.views import bp as listings
    from market.manifests.ledger_views import bp as ledgers
    from market.manifests.park_views import bp as park_manifests
    from market.manifests.views import bp as manifests
    from market.matching.views import bp as matching
    from market.views import bp as main
    from market.warnings.views import bp as warnings

    for blueprint in (
        main,
        accounts,
        team,
        catalog,
        listings,
        attachments,
        matching,
        deals,
        manifests,
        park_manifests,
        ledgers,
        inbox,
        admin,
        park_dashboard,
        desk,
        admin_sites,
        review,
        credit,
        credit_register,
        credit_violations,
        health,
        warnings,
    ):
        app.register_blueprint(blueprint)
    init_api(app)


def register_template_helpers(app: Flask) -> None:
    from market import formatting
    from market.accounts import labels as account_labels
    from market.credit import labels
    from market.warnings import labels as warning_labels

    formatting.register(app)
    labels.register(app)
    account_labels.register(app)
    warning_labels.register(app)
