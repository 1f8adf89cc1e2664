//! The walking skeleton's story: a shopper's message reaches the agent live, the reply reaches
//! the shopper live, through the widget and through the platform webhook.

use kefu_testkit::*;
use serde_json::json;

async fn widget_message_reaches_agent_and_reply_reaches_shopper(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent_token = app.login(&app.shop, &app.shop.agent).await;
    let mut agent_live = app.live(&agent_token).await;
    let visitor = app.shopper(&app.shop).await;
    let mut shopper_live = app.live(&visitor).await;

    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "你好，纸尿裤什么时候发货？"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    let conversation_id = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();

    let created = agent_live.next_of("message.created").await;
    assert_eq!(created["conversation_id"], conversation_id.as_str());
    assert_eq!(created["message"]["text"], "你好，纸尿裤什么时候发货？");
    assert_eq!(created["message"]["sender"], "shopper");
    let updated = agent_live.next_of("conversation.updated").await;
    assert_eq!(updated["conversation"]["state"], "queued");
    assert_eq!(
        updated["conversation"]["customer"]["nickname"],
        app.shop.customer.nickname.as_str()
    );
    let echo = shopper_live.next_of("message.created").await;
    assert_eq!(echo["message"]["id"], sent.body["message"]["id"]);

    let list = app.get("/api/v1/conversations", Some(&agent_token)).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"][0]["id"], conversation_id.as_str());
    assert_eq!(
        list.body["items"][0]["last_message"]["text"],
        "你好，纸尿裤什么时候发货？"
    );

    let detail = app
        .get(
            &format!("/api/v1/conversations/{conversation_id}"),
            Some(&agent_token),
        )
        .await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["customer"]["phone_masked"], "138****5678");
    assert_eq!(detail.body["customer"]["order_count"], 1);
    assert_eq!(
        detail.body["orders"][0]["order_no"],
        app.shop.order.order_no.as_str()
    );
    assert_eq!(detail.body["orders"][0]["tracking_no"], "SF1234567890123");
    assert_eq!(detail.body["messages"].as_array().map(Vec::len), Some(1));

    let reply = app
        .post(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            Some(&agent_token),
            &json!({"text": "亲，今天下单今天发货哦～"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["sender"], "agent");
    assert_eq!(
        reply.body["agent_id"],
        app.shop.agent.id.to_string().as_str()
    );
    let pushed = shopper_live.next_of("message.created").await;
    assert_eq!(pushed["message"]["text"], "亲，今天下单今天发货哦～");
    assert_eq!(pushed["message"]["sender"], "agent");
    let state = agent_live.next_of("conversation.updated").await;
    assert_eq!(state["conversation"]["state"], "waiting");
    assert_eq!(
        state["conversation"]["assigned_agent_id"],
        app.shop.agent.id.to_string().as_str()
    );

    // The shopper's history shows both messages in order.
    let history = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    let texts: Vec<_> = history.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        texts,
        ["你好，纸尿裤什么时候发货？", "亲，今天下单今天发货哦～"]
    );

    // Closing ends it; the next shopper message opens a new conversation.
    let closed = app
        .post(
            &format!("/api/v1/conversations/{conversation_id}/close"),
            Some(&agent_token),
            &json!({}),
        )
        .await;
    assert_eq!(
        (closed.status, closed.body["state"].as_str()),
        (200, Some("closed"))
    );
    let again = app
        .post(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            Some(&agent_token),
            &json!({"text": "还在吗"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "conversation_closed"));
    let next = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "又来了"}),
        )
        .await;
    assert_eq!(next.status, 201);
    assert_ne!(next.body["conversation_id"], conversation_id.as_str());
}

async fn webhook_message_shows_up_live_like_a_widget_one(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent_token = app.login(&app.shop, &app.shop.agent).await;
    let mut agent_live = app.live(&agent_token).await;
    let body = json!({
        "platform": "taobao",
        "customer": {"external_id": "tb_8273619", "nickname": "暖暖麻麻"},
        "text": "你好，纸尿裤什么时候发货？",
    })
    .to_string();
    let a = app.webhook(&app.shop, &body, "delivery-1").await;
    assert_eq!(a.status, 202, "{:?}", a.body);
    let created = agent_live.next_of("message.created").await;
    assert_eq!(created["message"]["id"], a.body["message_id"]);
    let updated = agent_live.next_of("conversation.updated").await;
    assert_eq!(updated["conversation"]["channel"], "webhook");
    assert_eq!(updated["conversation"]["platform"], "taobao");
    assert_eq!(updated["conversation"]["customer"]["nickname"], "暖暖麻麻");
}

async fn sessions_expire_and_logout_ends_them(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = app.login(&app.shop, &app.shop.agent).await;
    let me = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.body["agent"]["username"], "xiaomei");
    assert_eq!(me.body["shop"]["slug"], "demo");
    app.clock.advance_millis(13 * 3_600_000);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&token)).await.code(),
        "unauthorized"
    );

    let token = app.login(&app.shop, &app.shop.agent).await;
    let out = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 401);
}

async fn the_openapi_document_describes_the_api(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    for path in [
        "/api/v1/auth/login",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/webhooks/{shop}/messages",
        "/api/v1/widget/messages",
        "/api/v1/imports/{kind}",
    ] {
        assert!(
            doc.body["paths"].get(path).is_some(),
            "{path} is documented"
        );
    }
    assert!(doc.body["components"]["schemas"].get("ErrorCode").is_some());
}

both_backends!(
    widget_message_reaches_agent_and_reply_reaches_shopper,
    webhook_message_shows_up_live_like_a_widget_one,
    sessions_expire_and_logout_ends_them,
    the_openapi_document_describes_the_api,
);
