//! Bad input, table-driven: each request gets the right 4xx and a stable code, and nothing at
//! all is written.

use kefu_store::Store;
use kefu_testkit::*;
use serde_json::json;

enum Auth {
    None,
    Agent,
    Visitor,
    Header(&'static str),
}

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    auth: Auth,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: impl Into<String>,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        auth: Auth::None,
        content_type: Some("application/json"),
        headers: Vec::new(),
        body: Vec::new(),
        status,
        code,
    }
}

impl Case {
    fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
    fn json(self, value: serde_json::Value) -> Self {
        self.body(value.to_string())
    }
    fn content_type(mut self, ct: Option<&'static str>) -> Self {
        self.content_type = ct;
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

async fn malformed_requests_get_a_4xx_with_a_stable_code_and_write_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let visitor = app.shopper(&app.shop).await;
    let opened = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "你好"}),
        )
        .await;
    let conv = opened.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = format!("/api/v1/conversations/{conv}/messages");
    let unknown = kefu_domain::ConversationId::new();
    let login = "/api/v1/auth/login";
    let hook = "/api/v1/webhooks/demo/messages";
    let hook_body = |text: &str, platform: &str| {
        json!({"platform": platform, "customer": {"external_id": "tb_1"}, "text": text}).to_string()
    };
    let signed = |body: &str| app.shop.sign_webhook(body);
    let long_text = "好".repeat(2_001);

    let cases = vec![
        case("login: malformed JSON", "POST", login, 400, "invalid_json").body("{bad"),
        case("login: empty body", "POST", login, 400, "invalid_json"),
        case("login: invalid UTF-8", "POST", login, 400, "invalid_json")
            .body(vec![b'{', 0xff, 0xfe, b'}']),
        case(
            "login: array, not object",
            "POST",
            login,
            422,
            "validation_failed",
        )
        .json(json!(["demo"])),
        case(
            "login: missing password",
            "POST",
            login,
            422,
            "validation_failed",
        )
        .json(json!({"shop": "demo", "username": "x"})),
        case(
            "login: unknown field",
            "POST",
            login,
            422,
            "validation_failed",
        )
        .json(json!({"shop": "demo", "username": "x", "password": "y", "admin": true})),
        case("login: wrong type", "POST", login, 422, "validation_failed")
            .json(json!({"shop": 1, "username": "x", "password": "y"})),
        case(
            "login: text/plain",
            "POST",
            login,
            415,
            "unsupported_media_type",
        )
        .content_type(Some("text/plain"))
        .body("{}"),
        case(
            "login: 100 KiB body",
            "POST",
            login,
            413,
            "payload_too_large",
        )
        .json(json!({"shop": "demo", "username": "x", "password": "p".repeat(100_000)})),
        case(
            "list: no credentials",
            "GET",
            "/api/v1/conversations",
            401,
            "unauthorized",
        ),
        case(
            "list: unknown bearer",
            "GET",
            "/api/v1/conversations",
            401,
            "unauthorized",
        )
        .auth(Auth::Header("Bearer nope")),
        case(
            "list: basic auth",
            "GET",
            "/api/v1/conversations",
            401,
            "unauthorized",
        )
        .auth(Auth::Header("Basic eGlhb21laTpwdw==")),
        case(
            "list: unknown state",
            "GET",
            "/api/v1/conversations?state=deleted",
            422,
            "validation_failed",
        )
        .auth(Auth::Agent),
        case(
            "list: limit 0",
            "GET",
            "/api/v1/conversations?limit=0",
            422,
            "validation_failed",
        )
        .auth(Auth::Agent),
        case(
            "list: limit not a number",
            "GET",
            "/api/v1/conversations?limit=ten",
            422,
            "validation_failed",
        )
        .auth(Auth::Agent),
        case(
            "detail: not an id",
            "GET",
            "/api/v1/conversations/not-an-id",
            404,
            "not_found",
        )
        .auth(Auth::Agent),
        case(
            "detail: Chinese id",
            "GET",
            "/api/v1/conversations/%E4%BC%9A%E8%AF%9D",
            404,
            "not_found",
        )
        .auth(Auth::Agent),
        case(
            "detail: unknown id",
            "GET",
            format!("/api/v1/conversations/{unknown}"),
            404,
            "not_found",
        )
        .auth(Auth::Agent),
        case(
            "reply: unknown conversation",
            "POST",
            format!("/api/v1/conversations/{unknown}/messages"),
            404,
            "not_found",
        )
        .auth(Auth::Agent)
        .json(json!({"text": "你好"})),
        case("reply: empty", "POST", reply.clone(), 422, "message_empty")
            .auth(Auth::Agent)
            .json(json!({"text": ""})),
        case(
            "reply: only spaces",
            "POST",
            reply.clone(),
            422,
            "message_empty",
        )
        .auth(Auth::Agent)
        .json(json!({"text": " \n　\t"})),
        case(
            "reply: 2,001 characters",
            "POST",
            reply.clone(),
            422,
            "message_too_long",
        )
        .auth(Auth::Agent)
        .json(json!({"text": long_text})),
        case(
            "reply: control character",
            "POST",
            reply.clone(),
            422,
            "message_invalid",
        )
        .auth(Auth::Agent)
        .json(json!({"text": "退\u{7}款"})),
        case(
            "reply: text is a number",
            "POST",
            reply.clone(),
            422,
            "validation_failed",
        )
        .auth(Auth::Agent)
        .json(json!({"text": 42})),
        case(
            "reply: null body",
            "POST",
            reply.clone(),
            422,
            "validation_failed",
        )
        .auth(Auth::Agent)
        .body("null"),
        case(
            "reply: with a visitor token",
            "POST",
            reply.clone(),
            401,
            "unauthorized",
        )
        .auth(Auth::Visitor)
        .json(json!({"text": "hi"})),
        case(
            "conversations: DELETE",
            "DELETE",
            "/api/v1/conversations",
            405,
            "method_not_allowed",
        )
        .auth(Auth::Agent),
        case(
            "unknown API route",
            "GET",
            "/api/v1/no-such-resource",
            404,
            "not_found",
        )
        .auth(Auth::Agent),
        case(
            "widget: no token",
            "POST",
            "/api/v1/widget/messages",
            401,
            "unauthorized",
        )
        .json(json!({"text": "hi"})),
        case(
            "widget: agent token",
            "POST",
            "/api/v1/widget/messages",
            401,
            "unauthorized",
        )
        .auth(Auth::Agent)
        .json(json!({"text": "hi"})),
        case(
            "widget: too long",
            "POST",
            "/api/v1/widget/messages",
            422,
            "message_too_long",
        )
        .auth(Auth::Visitor)
        .json(json!({"text": "好".repeat(2_001)})),
        case(
            "widget session: unknown shop",
            "POST",
            "/api/v1/widget/sessions",
            404,
            "not_found",
        )
        .json(json!({"shop": "nope"})),
        case(
            "widget session: user_id without hash",
            "POST",
            "/api/v1/widget/sessions",
            401,
            "invalid_signature",
        )
        .json(json!({"shop": "demo", "user_id": "C00001"})),
        case(
            "widget session: nickname too long",
            "POST",
            "/api/v1/widget/sessions",
            422,
            "validation_failed",
        )
        .json(json!({"shop": "demo", "nickname": "长".repeat(40)})),
        case(
            "webhook: unknown shop",
            "POST",
            "/api/v1/webhooks/nope/messages",
            404,
            "not_found",
        )
        .body(hook_body("hi", "taobao")),
        case("webhook: unsigned", "POST", hook, 401, "invalid_signature")
            .header("idempotency-key", "k1")
            .body(hook_body("hi", "taobao")),
        case(
            "webhook: no idempotency key",
            "POST",
            hook,
            400,
            "idempotency_key_required",
        )
        .header("x-kefu-signature", signed(&hook_body("hi", "taobao")))
        .body(hook_body("hi", "taobao")),
        case("webhook: signed garbage", "POST", hook, 400, "invalid_json")
            .header("x-kefu-signature", signed("{nope"))
            .header("idempotency-key", "k2")
            .body("{nope"),
        case("webhook: too long", "POST", hook, 422, "message_too_long")
            .header("x-kefu-signature", signed(&hook_body(&long_text, "taobao")))
            .header("idempotency-key", "k3")
            .body(hook_body(&long_text, "taobao")),
        case(
            "webhook: bad platform",
            "POST",
            hook,
            422,
            "validation_failed",
        )
        .header("x-kefu-signature", signed(&hook_body("hi", "淘 宝")))
        .header("idempotency-key", "k4")
        .body(hook_body("hi", "淘 宝")),
        case(
            "import: unknown kind",
            "POST",
            "/api/v1/imports/refunds",
            403,
            "forbidden",
        )
        .auth(Auth::Agent)
        .json(json!([])),
        case("live: no token", "GET", "/api/v1/live", 401, "unauthorized"),
        case(
            "live: bad visitor token",
            "GET",
            "/api/v1/live?token=v1.a.b.c.d",
            401,
            "unauthorized",
        ),
        case(
            "live: not a WebSocket",
            "GET",
            format!("/api/v1/live?token={agent}"),
            426,
            "upgrade_required",
        ),
    ];
    assert!(cases.len() >= 30);

    let before = (
        app.store.store.counts(app.shop.id()).await.expect("counts"),
        app.store
            .store
            .counts(app.other.id())
            .await
            .expect("counts"),
    );
    for c in cases {
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
        let mut r = app
            .client
            .request(method, app.url(&c.path))
            .body(c.body.clone());
        if let Some(ct) = c.content_type {
            r = r.header("content-type", ct);
        }
        r = match c.auth {
            Auth::None => r,
            Auth::Agent => r.bearer_auth(&agent),
            Auth::Visitor => r.bearer_auth(&visitor),
            Auth::Header(h) => r.header("authorization", h),
        };
        for (k, v) in &c.headers {
            r = r.header(*k, v);
        }
        let a = app.send(r).await;
        assert_eq!(
            (a.status, a.code()),
            (c.status, c.code),
            "{}: {:?}",
            c.name,
            a.body
        );
        assert!(
            a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: has a message",
            c.name
        );
    }
    let after = (
        app.store.store.counts(app.shop.id()).await.expect("counts"),
        app.store
            .store
            .counts(app.other.id())
            .await
            .expect("counts"),
    );
    assert_eq!(before, after, "no malformed request wrote anything");
}

both_backends!(malformed_requests_get_a_4xx_with_a_stable_code_and_write_nothing);
