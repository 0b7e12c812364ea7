"""The dashboard at `/`: a login form, then charts and a conversation browser over `/v1`.

* Login posts the key once; the server verifies it and stores it in an `HttpOnly`,
  `SameSite=Strict` cookie (`Secure` with `API_COOKIE_SECURE`), so page scripts never hold it
  and other sites cannot make the browser send it. The cookie authenticates GET requests only
  (`auth.presented_key`).
* Charts are drawn with Plotly's JS bundle as shipped inside the `plotly` wheel
  (`plotly/package_data/plotly.min.js`), served from this app: no CDN, nothing fetched from
  the internet at run time.
* The page's own script (`static/dashboard.js`) asks `/v1/metrics` and `/v1/conversations`
  exactly what an API client would, so every figure on the page is an API figure.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from analytics_assets.api.auth import COOKIE_NAME, KeyVerifier, presented_key
from analytics_assets.settings import Settings

STATIC = Path(__file__).parent / "static"
COOKIE_MAX_AGE_S = 8 * 3600


def plotly_bundle() -> Path:
    """The minified plotly.js of the installed `plotly` package."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found in the plotly package at {path}")
    return path


def _page(name: str, **values: str) -> str:
    text = (STATIC / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def mount(app: FastAPI, verifier: KeyVerifier, settings: Settings) -> None:
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    }

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        key = presented_key(request)
        found = verifier.verify(key) if key else None
        if found is None:
            return HTMLResponse(_page("login.html", message=""), headers=headers)
        request.state.key_id = found.key_id
        return HTMLResponse(_page("dashboard.html", key_name=_escape(found.name)), headers=headers)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        body = (await request.body())[:4096].decode("utf-8", "replace")
        key = (parse_qs(body).get("api_key") or [""])[0].strip()
        found = verifier.verify(key) if key else None
        if found is None:
            page = _page("login.html", message="That key is not valid.")
            return HTMLResponse(page, status_code=401, headers=headers)
        request.state.key_id = found.key_id
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            key,
            max_age=COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=settings.api_cookie_secure,
            path="/",
        )
        return response

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return FileResponse(
            plotly_bundle(),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in {"dashboard.js", "dashboard.css"}:
            return Response(status_code=404)
        media = "application/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(STATIC / name, media_type=media)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
