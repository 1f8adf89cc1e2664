//! Answer phrasing against a local server that speaks the chat-completions protocol: the
//! model's text is used only when it passes the checks; every failure sends the plain answer.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use kefu_server::llm::{Fallback, Grounding, Phraser};
use kefu_server::settings::LlmSettings;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// Replies by what the shopper asked: each question picks a behaviour.
async fn chat(
    State(seen): State<Seen>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.lock().expect("lock").push((auth, body.clone()));
    let question = body["messages"][1]["content"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let reply = |text: &str| {
        Json(json!({"id": "x", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}))
        .into_response()
    };
    match question.as_str() {
        "慢" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            reply("亲，16点前付款当天发货哦")
        }
        "坏" => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "乱" => "not json".into_response(),
        "编" => reply("亲，今天下单立减30元，3天内必到哦"),
        "禁" => reply("这个我不知道，你自己看吧"),
        "今天能发吗" => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
        _ => reply("亲～16点前付款的订单当天就发货啦，请放心哦"),
    }
}

async fn stub() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/v1"), seen)
}

fn settings(base_url: &str) -> LlmSettings {
    LlmSettings {
        enabled: true,
        base_url: base_url.to_owned(),
        model: "qwen-test".into(),
        api_key: "sk-test".into(),
        timeout_ms: 500,
    }
}

const PLAIN: &str = "亲，16点前付款当天发货哦～";

#[tokio::test]
async fn the_model_phrases_only_when_its_text_passes_the_checks() {
    let (base, seen) = stub().await;
    let phraser = Phraser::from_settings(&settings(&base)).expect("enabled");
    let analyzer = kefu_server::text::TextEngine::shared().base().clone();
    let entries = [Grounding {
        id: "kb-006",
        question: "下单后多久发货",
        answer: PLAIN,
    }];
    let phrase = |q: &'static str| {
        let (phraser, analyzer) = (&phraser, &analyzer);
        async move {
            phraser
                .phrase(analyzer, "贝贝乐母婴旗舰店", q, &entries, PLAIN)
                .await
        }
    };

    let good = phrase("今天拍今天能发吗").await;
    assert_eq!(good.fallback, None);
    assert_eq!(good.text, "亲～16点前付款的订单当天就发货啦，请放心哦");
    {
        let seen = seen.lock().expect("lock");
        let (auth, body) = &seen[0];
        assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
        assert_eq!(body["model"], "qwen-test");
        let system = body["messages"][0]["content"]
            .as_str()
            .expect("system prompt");
        assert!(
            system.contains("[kb-006]") && system.contains(PLAIN),
            "{system}"
        );
    }

    for (question, why) in [
        ("慢", Fallback::Timeout),
        ("坏", Fallback::Unreachable),
        ("乱", Fallback::BadResponse),
        ("编", Fallback::UngroundedNumber),
        ("禁", Fallback::Unsafe),
    ] {
        let out = phrase(question).await;
        assert_eq!(
            (out.text.as_str(), out.fallback),
            (PLAIN, Some(why)),
            "{question}"
        );
    }
}

#[tokio::test]
async fn no_server_and_no_setting_mean_the_plain_answer() {
    // Nothing listens on this port: connection refused, the plain answer goes out.
    let phraser = Phraser::from_settings(&settings("http://127.0.0.1:9/v1")).expect("enabled");
    let analyzer = kefu_server::text::TextEngine::shared().base().clone();
    let out = phraser
        .phrase(&analyzer, "店", "什么时候发货", &[], PLAIN)
        .await;
    assert_eq!(out.fallback, Some(Fallback::Unreachable));
    assert_eq!(out.text, PLAIN);
    let off = LlmSettings {
        enabled: false,
        ..settings("http://127.0.0.1:9/v1")
    };
    assert!(Phraser::from_settings(&off).is_none());
}

/// The bot in a live conversation with phrasing on: the model's words reach the shopper,
/// grounded on the entry it answers with; when the model fails the plain answer goes out.
async fn the_bot_sends_the_models_phrasing_and_falls_back_to_the_plain_answer(
    backend: kefu_testkit::TestBackend,
) {
    use kefu_testkit::TestApp;
    let (base, seen) = stub().await;
    let app = TestApp::spawn_with(backend, |state| {
        state.with_phraser(Phraser::from_settings(&settings(&base)))
    })
    .await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    crate::knowledge::seed(&app, &boss).await;
    let visitor = app.shopper(&app.shop).await;
    let say = |text: &'static str| {
        let app = &app;
        let visitor = &visitor;
        async move {
            let a = app
                .post(
                    "/api/v1/widget/messages",
                    Some(visitor),
                    &json!({ "text": text }),
                )
                .await;
            assert_eq!(a.status, 201, "{:?}", a.body);
            a.body
        }
    };
    let sent = say("几天能发货").await;
    assert_eq!(sent["reply_action"], "answer");
    assert_eq!(
        sent["reply"]["text"],
        "亲～16点前付款的订单当天就发货啦，请放心哦"
    );
    let (auth, body) = seen.lock().expect("lock").last().cloned().expect("called");
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    let system = body["messages"][0]["content"]
        .as_str()
        .expect("system prompt");
    assert!(
        system.contains("亲，16点前付款当天发货哦～"),
        "grounded on the entry: {system}"
    );

    let sent = say("今天能发吗").await;
    assert_eq!(sent["reply_action"], "answer");
    assert_eq!(
        sent["reply"]["text"], PLAIN,
        "the model failed: the plain answer"
    );
}

kefu_testkit::both_backends!(the_bot_sends_the_models_phrasing_and_falls_back_to_the_plain_answer);
