//! Customer profiles with their orders, as the workspace's side panel shows them.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::IdPath;
use crate::state::AppState;
use crate::views::{CustomerView, OrderView};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use kefu_domain::{CustomerId, ShopId};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/customers/{id}", get(profile))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerProfile {
    pub customer: CustomerView,
    pub orders: Vec<OrderView>,
}

/// A customer and their latest orders (newest first).
pub(crate) async fn customer_view(
    state: &AppState,
    shop: ShopId,
    id: CustomerId,
    orders: u32,
) -> ApiResult<(CustomerView, Vec<OrderView>)> {
    let customer = state
        .store
        .customer(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let stats = state.store.customer_order_stats(shop, id).await?;
    let orders = state.store.customer_orders(shop, id, orders).await?;
    Ok((
        CustomerView::new(&customer, stats),
        orders.iter().map(OrderView::from).collect(),
    ))
}

/// One customer of the caller's shop with their 20 latest orders.
#[utoipa::path(get, path = "/api/v1/customers/{id}",
    responses((status = 200, body = CustomerProfile), (status = 404, body = crate::error::ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<CustomerId>,
) -> ApiResult<Json<CustomerProfile>> {
    let (customer, orders) = customer_view(&state, session.shop(), id, 20).await?;
    Ok(Json(CustomerProfile { customer, orders }))
}
