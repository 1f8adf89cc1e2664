//! The web UI, built by Vite into `web/dist` and embedded in the binary at compile time, so a
//! single `kefu` file serves everything. `/widget` is the shopper's page; every other non-API
//! path is the agent workspace (a single-page app with its own routes).

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

/// Serves a built asset, or the right HTML page for an app route.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = (!path.is_empty()).then(|| Assets::get(path)).flatten() {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        // Vite puts a content hash in every asset name, so assets never change under a name.
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(mime.as_ref())
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            file.data,
        )
            .into_response();
    }
    if path.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "asset not found").into_response();
    }
    let page = if path == "widget" || path.starts_with("widget/") {
        "widget.html"
    } else {
        "index.html"
    };
    match Assets::get(page) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            file.data,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
            "kefu's web UI was not built into this binary: run `npm --prefix web ci && npm --prefix web run build`, then rebuild kefu (the README's demo command does both).\n",
        )
            .into_response(),
    }
}

/// Whether the UI was built into this binary.
pub fn ui_embedded() -> bool {
    Assets::get("index.html").is_some()
}
