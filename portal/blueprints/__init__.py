"""One blueprint per area."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portal.blueprints.access_log import bp as access_log_bp
    from portal.blueprints.admin import bp as admin_bp
    from portal.blueprints.audit import bp as audit_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.customers import bp as customers_bp
    from portal.blueprints.errors import bp as errors_bp
    from portal.blueprints.home import bp as home_bp
    from portal.blueprints.lists import bp as lists_bp
    from portal.blueprints.followups import bp as followups_bp
    from portal.blueprints.calls import bp as calls_bp
    from portal.blueprints.settings import bp as settings_bp
    from portal.blueprints.quotes import bp as quotes_bp
    from portal.blueprints.lost import bp as lost_bp
    from portal.blueprints.contracts import bp as contracts_bp
    from portal.blueprints.performance import bp as performance_bp
    from portal.blueprints.complaints import bp as complaints_bp
    from portal.blueprints.grading import bp as grading_bp
    from portal.blueprints.pool import bp as pool_bp
    from portal.blueprints.search import bp as search_bp
    from portal.blueprints.notifications import bp as notifications_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp)
    app.register_blueprint(customers_bp, url_prefix="/customers")
    app.register_blueprint(lists_bp, url_prefix="/admin/lists")
    app.register_blueprint(followups_bp)
    app.register_blueprint(calls_bp)
    app.register_blueprint(settings_bp, url_prefix="/settings")
    app.register_blueprint(quotes_bp)
    app.register_blueprint(lost_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(performance_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(grading_bp)
    app.register_blueprint(pool_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(access_log_bp)
