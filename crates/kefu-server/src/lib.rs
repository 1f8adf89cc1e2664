//! kefu's server as a library: [`app`] builds the router, [`serve`] runs it on a listener until
//! shutdown. The binary and the tests both start it this way (tests on port 0).

pub mod alerts;
pub mod auth;
pub mod bot;
pub mod desk;
pub mod error;
pub mod extract;
pub mod hot;
pub mod ingest;
pub mod knowledge;
pub mod lifecycle;
pub mod lint;
pub mod llm;
pub mod openapi;
pub mod qa;
pub mod routes;
pub mod settings;
pub mod state;
pub mod text;
pub mod tickets;
pub mod views;

pub use settings::Settings;
pub use state::{AppState, Limits};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::OriginalUri;
use axum::http::{Method, Uri};
use axum::routing::get;
use error::{ApiError, ErrorCode};
use std::future::Future;
use tokio::net::TcpListener;

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let imports = routes::imports::router()
        .merge(routes::knowledge_files::router())
        .layer(routes::imports::body_limit(&state));
    let api = Router::new()
        .merge(routes::api())
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .merge(imports)
        .route("/openapi.json", get(openapi::document))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { "ok" }))
        .fallback(web_or_not_found)
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

async fn api_not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no API route {}", uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn web_or_not_found(method: Method, uri: Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        return api_not_found(OriginalUri(uri)).await.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed(method, OriginalUri(uri))
            .await
            .into_response();
    }
    routes::web::serve(uri).await
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
