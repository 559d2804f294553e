"""Files officials upload, kept server-side between the preview and the publish.

Each upload gets a directory named by a random token under the staging root (beside the
document store, readable by its owner only); the file inside is named by the server
(`upload.<ext>`, the extension checked against what retrieval.extract reads), so nothing the
browser sends ever becomes a path. The form's metadata is kept with it, so publishing sends
only the token, and only the official who uploaded may publish it. Uploads are capped in size,
removed once published or refused, and swept after an hour.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from retrieval.extract import FORMATS

MAX_BYTES = 20 * 1024 * 1024  # a directive is rarely over a few MB, even as a PDF
TTL_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")
_CHUNK = 1 << 16


class UploadError(ValueError):
    """An upload refused; the message (Vietnamese) is shown on the form."""


@dataclass(frozen=True)
class Staged:
    token: str
    path: Path  # the file, as the server named it
    name: str  # the file's name as uploaded, for display only
    by: str
    fields: dict  # the form's metadata, as typed


def display_name(raw: str | None) -> str:
    """The uploaded file's base name without directories or control characters (display only)."""
    name = PurePosixPath(str(raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120]


class Uploads:
    def __init__(self, root: str | Path, max_bytes: int = MAX_BYTES, ttl: float = TTL_SECONDS):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.ttl = ttl

    def save(self, source, filename: str | None, by: str, fields: dict) -> Staged:
        """Copy an uploaded file object (read in chunks, at most max_bytes) into a new staging
        directory. Blocking: run it off the event loop."""
        name = display_name(filename)
        ext = PurePosixPath(name).suffix.lower()
        if not name:
            raise UploadError("Hãy chọn tệp văn bản cần thêm.")
        if ext not in FORMATS:
            raise UploadError(f"Chưa đọc được loại tệp “{ext or name}”. Hãy dùng tệp .txt, .docx, .pdf hoặc .html.")
        self.sweep()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(18)
        folder = self.root / token
        folder.mkdir(mode=0o700)
        path = folder / f"upload{ext}"
        size = 0
        try:
            with open(path, "wb") as out:
                while chunk := source.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadError(f"Tệp lớn quá (tối đa {self.max_bytes // (1024 * 1024)} MB).")
                    out.write(chunk)
            if size == 0:
                raise UploadError(f"Tệp “{name}” trống, không có nội dung.")
            meta = {"name": name, "by": by, "at": time.time(), "fields": fields}
            (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return Staged(token, path, name, by, fields)

    def get(self, token: str, by: str) -> Staged | None:
        """The upload behind `token`, if it exists, is fresh and is `by`'s own."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        folder = self.root / token
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("by") != by or time.time() - float(meta.get("at", 0)) > self.ttl:
            return None
        files = [p for p in folder.iterdir() if p.name.startswith("upload.")]
        if len(files) != 1:
            return None
        return Staged(token, files[0], meta.get("name", ""), by, dict(meta.get("fields") or {}))

    def discard(self, token: str) -> None:
        if isinstance(token, str) and _TOKEN.fullmatch(token):
            shutil.rmtree(self.root / token, ignore_errors=True)

    def sweep(self) -> None:
        """Drop uploads older than the time-to-live (previewed and never published)."""
        if not self.root.is_dir():
            return
        now = time.time()
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and now - folder.stat().st_mtime > self.ttl:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue

    def count(self) -> int:
        return sum(1 for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else 0

