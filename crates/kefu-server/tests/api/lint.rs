//! The live lint through the API: the reply box's check, the shop's policy it reads, and the
//! record kept when the agent sends anyway.

use kefu_testkit::*;
use serde_json::{Value, json};

async fn lint(app: &TestApp, token: &str, text: &str) -> Value {
    let a = app
        .post("/api/v1/lint", Some(token), &json!({ "text": text }))
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
}

/// The labels found, in order of first appearance.
fn labels(body: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in body["findings"].as_array().expect("findings") {
        let label = f["label"].as_str().expect("label").to_owned();
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

async fn put_policy(app: &TestApp, token: &str, body: &Value) -> Answer {
    app.send(
        app.client
            .put(app.url("/api/v1/settings/policy"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

async fn lint_finds_problems_with_spans_and_better_phrasings(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let clean = lint(&app, &agent, "亲，我马上帮您查一下物流").await;
    assert_eq!(clean["findings"], json!([]));
    // Offsets are code points into the text as typed, leading spaces and emoji included.
    let found = lint(&app, &agent, "  😀这个不归我管").await;
    let f = &found["findings"][0];
    assert_eq!(f["label"], "forbidden_phrase");
    assert_eq!(f["rule"], "forbidden.shirking");
    assert_eq!((f["start"].as_u64(), f["end"].as_u64()), (Some(5), Some(9)));
    assert!(f["suggestion"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(found["checked_us"].as_u64().is_some());
    // CRLF line breaks (other API clients) do not shift the offsets either.
    let crlf = lint(&app, &agent, "亲\r\n\r\n我的微信是abc").await;
    let f = &crlf["findings"][0];
    assert_eq!((f["start"].as_u64(), f["end"].as_u64()), (Some(7), Some(9)));
    let many = lint(&app, &agent, "加我微信13812345678，保证明天到").await;
    assert_eq!(
        labels(&many),
        ["sensitive", "personal_data", "unauthorized_promise"]
    );
    // An empty box is clean; what the send would refuse is refused the same way.
    assert_eq!(lint(&app, &agent, "   ").await["findings"], json!([]));
    let long = app
        .post(
            "/api/v1/lint",
            Some(&agent),
            &json!({"text": "好".repeat(2_001)}),
        )
        .await;
    assert_eq!((long.status, long.code()), (422, "message_too_long"));
    let unknown = app
        .post("/api/v1/lint", Some(&agent), &json!({"text": "好", "x": 1}))
        .await;
    assert_eq!(unknown.status, 422, "{:?}", unknown.body);
    let anonymous = app.post("/api/v1/lint", None, &json!({"text": "好"})).await;
    assert_eq!(anonymous.status, 401);
}

async fn promises_are_checked_against_the_shops_policy_and_hour(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let seven_days = "签收后七天内可以无理由退货";
    assert!(labels(&lint(&app, &agent, seven_days).await).is_empty());
    // Only supervisors set the policy; a bad one is refused and changes nothing.
    let refused = put_policy(&app, &agent, &json!({"return_days": 3})).await;
    assert_eq!(refused.status, 403);
    let bad = put_policy(&app, &boss, &json!({"return_days": 3, "cutoff_hour": 25})).await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
    assert_eq!(bad.body["details"][0]["field"], "cutoff_hour");
    let unknown = put_policy(&app, &boss, &json!({"return_dayz": 3})).await;
    assert_eq!(unknown.status, 422, "{:?}", unknown.body);
    let kept = app.get("/api/v1/settings/policy", Some(&agent)).await;
    assert_eq!(kept.body["return_days"], 7);
    let saved = put_policy(&app, &boss, &json!({"return_days": 3})).await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(
        saved.body["cutoff_hour"], 16,
        "missing fields take their defaults"
    );
    assert_eq!(
        labels(&lint(&app, &agent, seven_days).await),
        ["unauthorized_promise"]
    );
    // Same-day shipping is fine at 10:00 and a broken promise after the 16:00 cut-off.
    let today = "现在拍下今天就给您发出";
    assert!(labels(&lint(&app, &agent, today).await).is_empty());
    app.clock.advance_millis(7 * 3_600_000);
    assert_eq!(
        labels(&lint(&app, &agent, today).await),
        ["unauthorized_promise"]
    );
}

async fn a_flagged_reply_is_sent_and_its_findings_recorded(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let visitor = app.shopper(&app.shop).await;
    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "什么时候能到"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    let id = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&agent),
            &json!({"text": "不知道，保证明天到"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let rules: Vec<&str> = reply.body["lint"]
        .as_array()
        .expect("lint on the reply")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "forbidden.ignorance",
            "promise.guarantee",
            "promise.delivery"
        ]
    );
    let message_id = reply.body["id"].clone();
    let analysis = app
        .get(
            &format!("/api/v1/conversations/{id}/analysis"),
            Some(&agent),
        )
        .await;
    assert_eq!(analysis.status, 200, "{:?}", analysis.body);
    let record = analysis.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["message_id"] == message_id)
        .expect("the reply's analysis")
        .clone();
    assert_eq!(record["analysis"]["lint"].as_array().map(Vec::len), Some(3));
    // A clean reply carries no lint and records none.
    let clean = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&agent),
            &json!({"text": "亲，我帮您查一下物流"}),
        )
        .await;
    assert_eq!(clean.status, 201);
    assert!(clean.body.get("lint").is_none(), "{:?}", clean.body);
}

both_backends!(
    lint_finds_problems_with_spans_and_better_phrasings,
    promises_are_checked_against_the_shops_policy_and_hour,
    a_flagged_reply_is_sent_and_its_findings_recorded,
);
