"""Files users upload (a scanned contract): the type is read from the content, never the name;
files live under ``instance/uploads/<area>`` with a random name, outside the static folder, and
go back out only as attachments with ``nosniff``, from views that check the record's scope.
"""
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file

# Leading bytes → (MIME type, extension). PDF and the image formats a scanner or phone writes.
SIGNATURES = (
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
)
CHUNK = 64 * 1024


class UploadError(ValueError):
    """Why a file was refused: ``"empty"``, ``"too_large"`` or ``"wrong_type"``."""


def sniff_type(head: bytes) -> tuple[str, str] | None:
    """The (MIME type, extension) the first bytes show, or None for anything else (an executable
    renamed .pdf starts with ``MZ`` or ``\\x7fELF`` and is refused)."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    mime_type: str
    size: int


def _folder(area: str) -> Path:
    folder = Path(current_app.instance_path) / "uploads" / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(file_storage, area: str, max_bytes: int) -> StoredFile:
    """Check and save an upload; raises ``UploadError`` and leaves nothing behind when refused.

    The stream is read in chunks and stops once it passes ``max_bytes``, so a huge file is not
    held in memory; the type comes from the first bytes.
    """
    stream = file_storage.stream
    head = stream.read(16)
    if not head:
        raise UploadError("empty")
    kind = sniff_type(head)
    if kind is None:
        raise UploadError("wrong_type")
    mime_type, extension = kind
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    path = _folder(area) / stored_name
    size = len(head)
    try:
        with open(path, "xb") as target:
            target.write(head)
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError("too_large")
                target.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size > max_bytes:
        path.unlink(missing_ok=True)
        raise UploadError("too_large")
    original = Path((file_storage.filename or "").replace("\\", "/")).name[:200] or stored_name
    return StoredFile(stored_name=stored_name, original_name=original, mime_type=mime_type, size=size)


def remove_upload(area: str, stored_name: str | None) -> None:
    if stored_name:
        (_folder(area) / Path(stored_name).name).unlink(missing_ok=True)


def send_upload(area: str, stored_name: str, download_name: str, mime_type: str):
    """The file as an attachment; 404 if it is gone. ``nosniff`` so no browser renders it as
    something other than its checked type."""
    path = _folder(area) / Path(stored_name).name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mime_type, as_attachment=True, download_name=download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
