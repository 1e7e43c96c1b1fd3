"""The built web client at /: precompressed files by Accept-Encoding, and cache headers.

`npm run build` writes `NAME.br` and `NAME.gz` beside each text file of web/dist (see
web/vite.config.ts); this serves the smallest one the client accepts, with `Vary: Accept-Encoding`.
Files under /assets carry a content hash in their name, so they are cached for a year and never
revalidated; everything else (index.html above all) is revalidated on each use, by its ETag.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

HASHED: Final = "public, max-age=31536000, immutable"
"""/assets/*: a changed file gets a new name, so a cached copy is never stale."""
REVALIDATE: Final = "no-cache"
"""index.html and other unhashed files: kept, but checked (If-None-Match) before each use."""
ENCODINGS: Final = (("br", ".br"), ("gzip", ".gz"))
"""Tried in this order: Brotli is the smaller."""


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q=0 refuses one)."""
    accepted = set()
    for item in header.split(","):
        name, _, parameters = item.partition(";")
        quality = parameters.strip().removeprefix("q=").strip() if parameters else "1"
        try:
            allowed = float(quality) > 0
        except ValueError:
            allowed = False
        if allowed and name.strip():
            accepted.add(name.strip().lower())
    return accepted


def _file_response(request: Request, path: Path, cache_control: str) -> Response:
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"cache-control": cache_control, "vary": "Accept-Encoding"}
    served = path
    for coding, suffix in ENCODINGS:
        variant = path.with_name(path.name + suffix)
        if coding in accepted and variant.is_file():
            served = variant
            headers["content-encoding"] = coding
            break
    response = FileResponse(
        served, media_type=media_type, headers=headers, stat_result=served.stat()
    )
    if request.headers.get("if-none-match") == response.headers["etag"]:
        kept = {name: response.headers[name] for name in ("etag", "cache-control", "vary")}
        return Response(status_code=304, headers=kept)
    return response


def serve_web_client(app: FastAPI, web_dir: Path) -> None:
    """Serve the built bundle; any other non-API path gets index.html (client-side routes)."""
    root = web_dir.resolve()
    index = root / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def web_client(path: str, request: Request) -> Response:  # sync: file checks in the pool
        if path.startswith("api/") or path == "ws":
            raise HTTPException(404, "no such API route")
        candidate = (root / path).resolve()
        found = bool(path) and candidate.is_file() and candidate.is_relative_to(root)
        if path.startswith("assets/"):
            if not found:
                raise HTTPException(404, "no such asset")
            return _file_response(request, candidate, HASHED)
        return _file_response(request, candidate if found else index, REVALIDATE)
