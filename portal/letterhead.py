"""The company's letterhead on documents that leave the company (quotes, contracts, delivery notes).

The details come from the company settings (``company_details``); the logo is a PNG or JPEG the
administrator uploads on the settings page. It is checked by content (the first bytes, then Pillow
reads the whole picture and fpdf2 embeds it once), kept under ``instance/uploads/company`` with a
random name, and served only to signed-in users.
"""
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from PIL import Image

from portal.uploads import UploadError, remove_upload, store_upload

LOGO_AREA = "company"
LOGO_MAX_BYTES = 1024 * 1024
# A letterhead logo is small; a bigger picture is refused rather than shrunk.
LOGO_MAX_SIDE = 4000
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}


def bilingual(label: str, chinese: str) -> str:
    """A document title or label in the reader's language with the Chinese beside it, once:
    ``"报价单"`` when the translated label is the Chinese already, else ``"Quotation 报价单"``."""
    label = str(label)
    return label if label == chinese else f"{label} {chinese}"


def _check_logo(path: Path, expected_format: str) -> None:
    """Refuse (``UploadError("not_a_picture")``) anything Pillow cannot read whole as the sniffed
    format, pictures over ``LOGO_MAX_SIDE`` pixels a side, and anything fpdf2 cannot embed."""
    try:
        with Image.open(path) as image:
            if image.format != expected_format:
                raise UploadError("not_a_picture")
            if max(image.size) > LOGO_MAX_SIDE:
                raise UploadError("too_many_pixels")
            image.verify()
        with Image.open(path) as image:
            image.load()
        trial = FPDF()
        trial.add_page()
        trial.image(str(path), x=10, y=10, h=10)
    except UploadError:
        raise
    except Exception as error:  # Pillow and fpdf2 raise many kinds for broken pictures.
        raise UploadError("not_a_picture") from error


def store_logo(file_storage) -> str:
    """Check and keep an uploaded logo; its stored file name, or ``UploadError`` with nothing kept
    (``empty``, ``too_large``, ``wrong_type``, ``not_a_picture``, ``too_many_pixels``)."""
    stored = store_upload(file_storage, LOGO_AREA, LOGO_MAX_BYTES)
    try:
        if stored.mime_type not in LOGO_TYPES:
            raise UploadError("wrong_type")
        _check_logo(logo_path(stored.stored_name), LOGO_TYPES[stored.mime_type])
    except BaseException:
        remove_upload(LOGO_AREA, stored.stored_name)
        raise
    return stored.stored_name


def logo_path(stored_name: str | None) -> Path | None:
    """The logo file, or None without a logo or when the file is gone."""
    if not stored_name:
        return None
    path = Path(current_app.instance_path) / "uploads" / LOGO_AREA / Path(stored_name).name
    return path if path.is_file() else None


def logo_mime_type(stored_name: str) -> str:
    return "image/png" if stored_name.endswith(".png") else "image/jpeg"
