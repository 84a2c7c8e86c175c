"""GET /docs: Swagger UI for /openapi.json, every file served from here (no CDN, works offline).

The files are swagger-ui-dist's, as the flask-swagger-ui package ships them (a dev dependency: its
version, and so Swagger UI's, is pinned by requirements-dev.lock). Only its dist folder is read;
the package itself (a Flask blueprint) is never imported.
"""

from __future__ import annotations

import importlib.util
import mimetypes
from functools import cache
from pathlib import Path

from werkzeug.wrappers import Request, Response

ASSETS_PATH = "/docs/assets"
# What the page loads; nothing else of the package is served.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"})


@cache
def assets_dir() -> Path:
    spec = importlib.util.find_spec("flask_swagger_ui")  # finds the package without importing Flask
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("flask-swagger-ui is not installed: run `make run` (it installs the lock)")
    return Path(next(iter(spec.submodule_search_locations))) / "dist"


@cache
def swagger_ui_version() -> str:
    return (assets_dir() / "VERSION").read_text(encoding="ascii").strip().removeprefix("v")


def page() -> str:
    # The version in the asset URLs: a browser never keeps files of another Swagger UI.
    assets = f"{ASSETS_PATH}/{swagger_ui_version()}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pforte API</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true, validatorUrl: null}});</script>
</body></html>
"""


def docs_route(_: Request) -> Response:
    return Response(page(), content_type="text/html; charset=utf-8")


def asset_route(request: Request, version: str, name: str) -> Response | None:
    """One of the page's files, or None (a 404) for anything else."""
    if version != swagger_ui_version() or name not in ASSETS:
        return None
    path = assets_dir() / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or name.endswith(".js"):
        content_type += "; charset=utf-8"
    response = Response(path.read_bytes(), content_type=content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the URL names the version
    response.add_etag()
    return response.make_conditional(request)
