//! Signed, idempotent platform webhooks.

use kefu_store::Store;
use kefu_testkit::*;
use serde_json::json;

fn body(text: &str) -> String {
    json!({"platform": "douyin", "customer": {"external_id": "dy_42"}, "text": text}).to_string()
}

async fn a_repeated_delivery_returns_the_first_answer_and_stores_nothing_twice(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let b = body("在吗在吗");
    let first = app.webhook(&app.shop, &b, "dy-evt-1").await;
    assert_eq!(first.status, 202);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let before = app.store.store.counts(app.shop.id()).await.expect("counts");

    for _ in 0..3 {
        let again = app.webhook(&app.shop, &b, "dy-evt-1").await;
        assert_eq!(again.status, 202);
        assert_eq!(again.body, first.body);
        assert_eq!(again.headers["idempotent-replayed"], "true");
    }
    let after = app.store.store.counts(app.shop.id()).await.expect("counts");
    assert_eq!(before, after, "a replay writes nothing");
    assert_eq!(after.messages, 1);

    let reused = app.webhook(&app.shop, &body("别的内容"), "dy-evt-1").await;
    assert_eq!(
        (reused.status, reused.code()),
        (422, "idempotency_key_reused")
    );
    let next = app.webhook(&app.shop, &body("第二条"), "dy-evt-2").await;
    assert_eq!(next.status, 202);
    assert_eq!(
        next.body["conversation_id"], first.body["conversation_id"],
        "same shopper, same open conversation"
    );
}

async fn concurrent_duplicate_deliveries_store_one_message(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let b = body("同时到达");
    let results =
        futures::future::join_all((0..8).map(|_| app.webhook(&app.shop, &b, "dup-1"))).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, 202, "{:?}", r.body);
            r.body["message_id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every delivery got the same answer");
    assert_eq!(
        app.store
            .store
            .counts(app.shop.id())
            .await
            .expect("counts")
            .messages,
        1
    );
}

async fn bad_signatures_are_refused_and_store_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let b = body("你好");
    let url = app.url("/api/v1/webhooks/demo/messages");
    let cases = [
        ("missing", None),
        ("other shop's secret", Some(app.other.sign_webhook(&b))),
        (
            "no prefix",
            Some(app.shop.sign_webhook(&b).replace("sha256=", "")),
        ),
        ("not hex", Some("sha256=zzzz".to_owned())),
        (
            "signature of another body",
            Some(app.shop.sign_webhook(&body("你好!"))),
        ),
    ];
    for (name, signature) in cases {
        let mut r = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header("idempotency-key", format!("k-{name}"))
            .body(b.clone());
        if let Some(s) = signature {
            r = r.header("x-kefu-signature", s);
        }
        let a = app.send(r).await;
        assert_eq!((a.status, a.code()), (401, "invalid_signature"), "{name}");
    }
    assert_eq!(
        app.store
            .store
            .counts(app.shop.id())
            .await
            .expect("counts")
            .messages,
        0
    );
}

both_backends!(
    a_repeated_delivery_returns_the_first_answer_and_stores_nothing_twice,
    concurrent_duplicate_deliveries_store_one_message,
    bad_signatures_are_refused_and_store_nothing,
);
