"""One blueprint per area."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portal.blueprints.admin import bp as admin_bp
    from portal.blueprints.audit import bp as audit_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.errors import bp as errors_bp
    from portal.blueprints.home import bp as home_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp)
