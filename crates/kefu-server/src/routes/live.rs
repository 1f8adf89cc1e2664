//! The live socket: `GET /api/v1/live?token=…` upgrades to a WebSocket that pushes JSON frames.
//! Agents receive their shop's frames; a shopper receives only their own customer's frames.
//! Browsers cannot set headers on a WebSocket, hence the token in the query string.
//!
//! The socket subscribes to the bus *before* it says `hello`; a client re-reads over HTTP after
//! each `hello`, so nothing published between its last read and the subscription is missed.

use crate::auth::{agent_from_token, visitor_from_token};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::LiveFrame;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use futures::{Sink, SinkExt, Stream, StreamExt};
use kefu_bus::{Delivery, Subscription, Topic};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/live", get(upgrade))
}

/// Who is on the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Shopper,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Shopper => "shopper",
        }
    }
}

async fn upgrade(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let token = q.get("token").map(String::as_str).unwrap_or_default();
    let mut watching = None;
    let (topic, role) = if token.starts_with("v1.") {
        let v = visitor_from_token(&state, token)?;
        (Topic::Customer(v.shop, v.customer), Role::Shopper)
    } else if token.is_empty() {
        return Err(ApiError::unauthorized());
    } else {
        let session = agent_from_token(&state, token).await?;
        if matches!(
            session.agent.role,
            kefu_domain::Role::Supervisor | kefu_domain::Role::Admin
        ) {
            // Alerts pushed while a supervisor watches count as delivered.
            watching = Some(state.alerts.watch(session.shop()));
        }
        (Topic::Shop(session.shop()), Role::Agent)
    };
    let ws = ws.map_err(|_| {
        ApiError::new(
            crate::error::ErrorCode::UpgradeRequired,
            "this endpoint expects a WebSocket upgrade",
        )
    })?;
    let subscription = state.bus.subscribe(topic);
    if let (Some(_), Topic::Shop(shop)) = (&watching, topic) {
        let state = state.clone();
        tokio::spawn(async move { crate::alerts::supervisor_connected(&state, shop).await });
    }
    Ok(ws.on_upgrade(move |socket: WebSocket| async move {
        let _watching = watching;
        let (sink, stream) = socket.split();
        run(sink, stream, subscription, role).await;
    }))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Ping,
}

/// Pumps bus frames to the client and answers its pings until either side goes away.
/// Generic over the socket halves so it can be tested over plain channels.
pub async fn run<Tx, Rx, E>(mut tx: Tx, mut rx: Rx, mut subscription: Subscription, role: Role)
where
    Tx: Sink<Message> + Unpin,
    Rx: Stream<Item = Result<Message, E>> + Unpin,
{
    let hello = LiveFrame::Hello { role: role.name() }.to_json();
    if tx.send(Message::Text(hello.as_ref().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            delivery = subscription.next() => {
                let frame = match delivery {
                    Some(Delivery::Frame(f)) => f,
                    Some(Delivery::Lagged(_)) => LiveFrame::Resync.to_json(),
                    None => break,
                };
                if tx.send(Message::Text(frame.as_ref().into())).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ClientFrame::Ping) = serde_json::from_str(text.as_str()) {
                        let pong = LiveFrame::Pong.to_json();
                        if tx.send(Message::Text(pong.as_ref().into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_bus::{Bus, InProcessBus};
    use kefu_domain::ShopId;

    fn text(m: Option<Message>) -> String {
        match m {
            Some(Message::Text(t)) => t.as_str().to_owned(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn says_hello_forwards_frames_answers_pings_and_stops_on_close() {
        let bus = InProcessBus::new();
        let topic = Topic::Shop(ShopId::new());
        let (out_tx, mut out_rx) = futures::channel::mpsc::unbounded::<Message>();
        let (in_tx, in_rx) = futures::channel::mpsc::unbounded::<Result<Message, ()>>();
        let task = tokio::spawn(run(out_tx, in_rx, bus.subscribe(topic), Role::Agent));

        assert_eq!(
            text(out_rx.next().await),
            r#"{"type":"hello","role":"agent"}"#
        );
        bus.publish(topic, r#"{"type":"message.created"}"#.into());
        assert_eq!(text(out_rx.next().await), r#"{"type":"message.created"}"#);
        in_tx
            .unbounded_send(Ok(Message::Text(r#"{"type":"ping"}"#.into())))
            .expect("send");
        assert_eq!(text(out_rx.next().await), r#"{"type":"pong"}"#);
        in_tx
            .unbounded_send(Ok(Message::Close(None)))
            .expect("send");
        task.await.expect("socket loop ends");
    }
}
