"""Access rules of the company logo: the administrator uploads and removes it, every signed-in
user may fetch it (it prints on every document)."""
import io
from pathlib import Path

from flask import current_app
from PIL import Image

from access_matrix import ADMIN_ONLY, EVERYONE, Rule
from portal.company_settings import set_setting
from portal.extensions import db
from portal.letterhead import LOGO_AREA


def _logo_records(world, scope, records):
    folder = Path(current_app.instance_path) / "uploads" / LOGO_AREA
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "PNG")
    (folder / "access-matrix-logo.png").write_bytes(buffer.getvalue())
    set_setting("company.logo", "access-matrix-logo.png")
    db.session.commit()


RECORD_BUILDERS = [_logo_records]

RULES = [
    # url_args makes the matrix build the records, the logo among them.
    Rule("settings.logo", EVERYONE, url_args=lambda records: {}),
    Rule("settings.logo_upload", ADMIN_ONLY, method="POST"),
    Rule("settings.logo_remove", ADMIN_ONLY, method="POST"),
]
