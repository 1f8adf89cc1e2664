//! Every stored message carries the text engine's analysis, and a conversation's analysis and
//! the shopper's emotion curve are readable by the shop's agents only.

use kefu_testkit::*;
use serde_json::{Value, json};

async fn send(app: &TestApp, visitor: &str, text: &str) -> String {
    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(visitor),
            &json!({ "text": text }),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn hit<'a>(message: &'a Value, lexicon: &str) -> Vec<&'a Value> {
    message["analysis"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["lexicon"] == lexicon)
        .collect()
}

async fn messages_carry_their_analysis_and_the_curve_follows_the_shopper(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let visitor = app.shopper(&app.shop).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;

    let id = send(&app, &visitor, "收到了，宝宝很喜欢，谢谢亲").await;
    app.clock.advance_millis(60_000);
    let text = "等了三天还没发货，訂單號2026112512345678901，再不处理我就打１２３１５投 诉！";
    send(&app, &visitor, text).await;
    let reply = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&agent),
            &json!({"text": "不好意思，这个我不清楚"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);

    let got = app
        .get(
            &format!("/api/v1/conversations/{id}/analysis"),
            Some(&agent),
        )
        .await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    let messages = got.body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["sentiment"], "positive");
    assert!(
        ["satisfaction", "gratitude"].contains(&messages[0]["emotion"].as_str().unwrap_or("")),
        "{:?}",
        messages[0]
    );

    let angry = &messages[1];
    assert_eq!(angry["sentiment"], "negative");
    let sensitive: Vec<(&str, String)> = hit(angry, "sensitive")
        .into_iter()
        .map(|h| {
            let (start, end) = (
                h["start"].as_u64().unwrap_or(0),
                h["end"].as_u64().unwrap_or(0),
            );
            let shown: String = text
                .chars()
                .skip(start as usize)
                .take((end - start) as usize)
                .collect();
            (h["category"].as_str().unwrap_or_default(), shown)
        })
        .collect();
    assert!(
        sensitive.contains(&("regulator", "１２３１５".to_owned())),
        "{sensitive:?}"
    );
    assert!(
        sensitive.contains(&("complaint", "投 诉".to_owned())),
        "{sensitive:?}"
    );
    let entities = angry["analysis"]["entities"].as_array().expect("entities");
    assert!(
        entities
            .iter()
            .any(|e| e["kind"] == "order_no" && e["value"] == "2026112512345678901"),
        "{entities:?}"
    );
    assert!(
        entities.iter().any(|e| e["kind"] == "duration"),
        "{entities:?}"
    );

    let forbidden = hit(&messages[2], "forbidden");
    assert!(
        forbidden
            .iter()
            .any(|h| h["term"] == "不清楚" && h["suggestion"].is_string()),
        "{forbidden:?}"
    );
    assert_eq!(messages[2]["sender"]["kind"], "agent");

    let curve = &got.body["shopper_curve"];
    assert_eq!(
        curve["points"].as_array().map(Vec::len),
        Some(2),
        "shopper messages only"
    );
    assert!(curve["start"].as_f64() > Some(0.0));
    assert!(curve["end"].as_f64() < curve["start"].as_f64());
    assert_eq!(curve["strong_negative_turn"], true);

    // Another shop's agent cannot read it.
    let outsider = app.login(&app.other, &app.other.agent).await;
    let hidden = app
        .get(
            &format!("/api/v1/conversations/{id}/analysis"),
            Some(&outsider),
        )
        .await;
    assert_eq!((hidden.status, hidden.code()), (404, "not_found"));
}

both_backends!(messages_carry_their_analysis_and_the_curve_follows_the_shopper);
