//! [`TestApp`]: the real server on a random port over a fresh database, with two shops seeded,
//! typed request helpers and a live-socket client. Time is a [`ManualClock`] the test can move.

use crate::{TestBackend, TestStore, builders};
use futures::StreamExt;
use kefu_bus::InProcessBus;
use kefu_domain::*;
use kefu_server::auth::{hash_password, hmac_hex};
use kefu_server::{AppState, Limits};
use kefu_store::{ShopRecord, Store};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub const PASSWORD: &str = "correct horse 电池 staple";

/// One seeded shop: an agent, a supervisor, and a customer with an order.
#[derive(Debug, Clone)]
pub struct SeededShop {
    pub record: ShopRecord,
    pub agent: Agent,
    pub supervisor: Agent,
    pub customer: Customer,
    pub order: Order,
}

impl SeededShop {
    pub fn id(&self) -> ShopId {
        self.record.shop.id
    }

    pub fn slug(&self) -> &str {
        &self.record.shop.slug
    }

    /// The widget's identity proof for `user_id`, as the shop's own server would compute it.
    pub fn user_hash(&self, user_id: &str) -> String {
        hmac_hex(self.record.widget_secret.as_bytes(), user_id.as_bytes())
    }

    pub fn sign_webhook(&self, body: &str) -> String {
        format!(
            "sha256={}",
            hmac_hex(self.record.webhook_secret.as_bytes(), body.as_bytes())
        )
    }
}

#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub store: TestStore,
    pub clock: Arc<ManualClock>,
    /// The server's state, for driving its background jobs (`kefu_server::desk::tick`).
    pub state: AppState,
    pub client: reqwest::Client,
    /// Shop `demo`.
    pub shop: SeededShop,
    /// Shop `other`, for tenancy checks.
    pub other: SeededShop,
}

/// An HTTP answer: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
    /// The raw body (files such as exports).
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// 10:00 shop time on the day of `now`: tests run inside staffed hours and the platforms'
/// counted hours, whenever they are run.
pub fn staffed_morning(now: Timestamp) -> Timestamp {
    now.shop_midnight().plus_millis(10 * 3_600_000)
}

impl TestApp {
    pub async fn spawn(backend: TestBackend) -> Self {
        Self::spawn_with(backend, |state| state).await
    }

    /// Like [`TestApp::spawn`], with the server's state adjusted first (a language model for
    /// the bot, for instance).
    pub async fn spawn_with(
        backend: TestBackend,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        let store = TestStore::new(backend).await;
        let clock = Arc::new(ManualClock::new(staffed_morning(SystemClock.now())));
        let shop = seed(&*store.store, "demo").await;
        let other = seed(&*store.store, "other").await;
        let state = AppState::new(
            store.store.clone(),
            Arc::new(InProcessBus::new()),
            clock.clone(),
            b"test-visitor-key-0123456789abcdef".to_vec(),
            Limits::default(),
        );
        let state = configure(state);
        let served = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(kefu_server::serve(listener, served, std::future::pending()));
        Self {
            base: format!("http://{addr}"),
            store,
            clock,
            state,
            client: reqwest::Client::new(),
            shop,
            other,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        self.send(r).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        self.send(r).await
    }

    /// Logs in and returns the bearer token.
    pub async fn login(&self, shop: &SeededShop, agent: &Agent) -> String {
        let a = self
            .post(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({"shop": shop.slug(), "username": agent.username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(a.status, 200, "login failed: {:?}", a.body);
        a.body["token"].as_str().expect("token").to_owned()
    }

    /// Opens a widget session as the shop's seeded customer and returns the visitor token.
    pub async fn shopper(&self, shop: &SeededShop) -> String {
        let user = &shop.customer.external_id;
        let a = self
            .post(
                "/api/v1/widget/sessions",
                None,
                &serde_json::json!({"shop": shop.slug(), "user_id": user, "user_hash": shop.user_hash(user)}),
            )
            .await;
        assert_eq!(a.status, 200, "widget session failed: {:?}", a.body);
        a.body["token"].as_str().expect("token").to_owned()
    }

    /// Posts a signed webhook delivery.
    pub async fn webhook(&self, shop: &SeededShop, body: &str, key: &str) -> Answer {
        let r = self
            .client
            .post(self.url(&format!("/api/v1/webhooks/{}/messages", shop.slug())))
            .header("content-type", "application/json")
            .header("x-kefu-signature", shop.sign_webhook(body))
            .header("idempotency-key", key)
            .body(body.to_owned());
        self.send(r).await
    }

    /// Opens a live socket and waits for its `hello`.
    pub async fn live(&self, token: &str) -> Live {
        let url = format!(
            "{}/api/v1/live?token={token}",
            self.base.replacen("http", "ws", 1)
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("live socket connects");
        let mut live = Live { socket };
        let hello = live.next().await;
        assert_eq!(hello["type"], "hello");
        live
    }
}

/// A live-socket client.
#[derive(Debug)]
pub struct Live {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Live {
    /// The next JSON frame (fails the test after 5 s).
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.socket.next())
                .await
                .expect("a frame within 5 s")
                .expect("socket open")
                .expect("frame");
            if let Ok(text) = msg.to_text()
                && !text.is_empty()
            {
                return serde_json::from_str(text).expect("JSON frame");
            }
        }
    }

    /// The next frame of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return f;
            }
        }
    }

    /// Asserts that no frame arrives within `ms`.
    pub async fn silent_for(&mut self, ms: u64) {
        let got = tokio::time::timeout(Duration::from_millis(ms), self.socket.next()).await;
        assert!(got.is_err(), "expected no frame, got {got:?}");
    }
}

async fn seed(store: &dyn Store, slug: &str) -> SeededShop {
    let record = builders::shop(slug);
    store.create_shop(&record).await.expect("shop");
    let id = record.shop.id;
    let hash = hash_password(PASSWORD).expect("hash");
    let agent = builders::agent(id, "xiaomei", Role::Agent);
    let supervisor = builders::agent(id, "boss", Role::Supervisor);
    store.upsert_agent(&agent, &hash).await.expect("agent");
    store
        .upsert_agent(&supervisor, &hash)
        .await
        .expect("supervisor");
    let customer = builders::customer(id, "C00001");
    store
        .upsert_customers(id, std::slice::from_ref(&customer))
        .await
        .expect("customer");
    let product = builders::product(id, "DP-M-58", "云柔纸尿裤 M 58片", 12_900);
    store
        .upsert_products(id, std::slice::from_ref(&product))
        .await
        .expect("product");
    let order = builders::order(id, customer.id, &format!("{slug}-0001"), &product);
    store
        .upsert_orders(id, std::slice::from_ref(&order))
        .await
        .expect("order");
    SeededShop {
        record,
        agent,
        supervisor,
        customer,
        order,
    }
}
