//! HTTP routes, one module per resource; each owns its `router()`.

pub mod alerts;
pub mod analysis;
pub mod assist;
pub mod auth;
pub mod conversations;
pub mod customers;
pub mod desk;
pub mod imports;
pub mod knowledge;
pub mod knowledge_files;
pub mod lint;
pub mod live;
pub mod proposals;
pub mod qa;
pub mod tickets;
pub mod web;
pub mod webhooks;
pub mod widget;

use crate::state::AppState;
use axum::Router;

/// Everything under `/api/v1` except imports, which `app()` mounts with a larger body limit.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(alerts::router())
        .merge(analysis::router())
        .merge(assist::router())
        .merge(auth::router())
        .merge(conversations::router())
        .merge(customers::router())
        .merge(desk::router())
        .merge(knowledge::router())
        .merge(lint::router())
        .merge(live::router())
        .merge(proposals::router())
        .merge(qa::router())
        .merge(tickets::router())
        .merge(webhooks::router())
        .merge(widget::router())
}
