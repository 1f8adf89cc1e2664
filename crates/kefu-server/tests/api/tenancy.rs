//! Every query is scoped to the caller's shop, and a shopper reaches only their own data.

use kefu_store::Store;
use kefu_testkit::*;
use serde_json::json;

async fn another_shops_ids_answer_404_and_change_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // A conversation in the other shop.
    let visitor = app.shopper(&app.other).await;
    let sent = app
        .post(
            "/api/v1/widget/messages",
            Some(&visitor),
            &json!({"text": "在吗"}),
        )
        .await;
    let theirs = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();

    let token = app.login(&app.shop, &app.shop.agent).await;
    let mut live = app.live(&token).await;
    let detail = app
        .get(&format!("/api/v1/conversations/{theirs}"), Some(&token))
        .await;
    assert_eq!((detail.status, detail.code()), (404, "not_found"));
    let reply = app
        .post(
            &format!("/api/v1/conversations/{theirs}/messages"),
            Some(&token),
            &json!({"text": "你好"}),
        )
        .await;
    assert_eq!(reply.status, 404);
    let close = app
        .post(
            &format!("/api/v1/conversations/{theirs}/close"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(close.status, 404);
    let customer = app
        .get(
            &format!("/api/v1/customers/{}", app.other.customer.id),
            Some(&token),
        )
        .await;
    assert_eq!(customer.status, 404);
    let list = app
        .get("/api/v1/conversations?state=all", Some(&token))
        .await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(0));

    // The other shop's live traffic never reaches this shop's agents.
    app.post(
        "/api/v1/widget/messages",
        Some(&visitor),
        &json!({"text": "有人吗"}),
    )
    .await;
    live.silent_for(300).await;
    let counts = app
        .store
        .store
        .counts(app.other.id())
        .await
        .expect("counts");
    assert_eq!(
        counts.messages, 2,
        "nothing was added to the other shop's conversation"
    );
}

async fn shoppers_reach_only_their_own_conversations(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mine = app.shopper(&app.shop).await;
    // A second shopper of the same shop, anonymous.
    let anon = app
        .post(
            "/api/v1/widget/sessions",
            None,
            &json!({"shop": "demo", "nickname": "路人"}),
        )
        .await;
    assert_eq!(anon.status, 200);
    let theirs = anon.body["token"].as_str().expect("token").to_owned();
    assert_eq!(anon.body["customer"]["nickname"], "路人");

    let a = app
        .post(
            "/api/v1/widget/messages",
            Some(&mine),
            &json!({"text": "我的订单到哪了"}),
        )
        .await;
    assert_eq!(a.status, 201);
    let mut their_live = app.live(&theirs).await;
    let b = app
        .post(
            "/api/v1/widget/messages",
            Some(&theirs),
            &json!({"text": "请问有优惠券吗"}),
        )
        .await;
    assert_ne!(a.body["conversation_id"], b.body["conversation_id"]);
    let echo = their_live.next_of("message.created").await;
    assert_eq!(echo["message"]["text"], "请问有优惠券吗");
    // The first shopper's agent reply never reaches the second shopper.
    let token = app.login(&app.shop, &app.shop.agent).await;
    let id = a.body["conversation_id"].as_str().expect("id");
    app.post(
        &format!("/api/v1/conversations/{id}/messages"),
        Some(&token),
        &json!({"text": "亲，已发货"}),
    )
    .await;
    // What reaches the second shopper is only that they moved up the queue.
    loop {
        let status = their_live.next_of("queue.status").await;
        assert_eq!(status["conversation_id"], b.body["conversation_id"]);
        if status["position"] == 0 {
            break;
        }
    }
    their_live.silent_for(300).await;
    let history = app.get("/api/v1/widget/messages", Some(&theirs)).await;
    assert_eq!(history.body["messages"].as_array().map(Vec::len), Some(1));

    // Tokens are not interchangeable, and a forged token is refused.
    assert_eq!(
        app.get("/api/v1/conversations", Some(&mine)).await.status,
        401
    );
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&token))
            .await
            .status,
        401
    );
    let forged = mine.replace(&app.shop.customer.id.to_string(), &uuid_like());
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&forged))
            .await
            .status,
        401
    );

    // Claiming to be a known customer requires the shop's identity proof.
    let spoof = app
        .post(
            "/api/v1/widget/sessions",
            None,
            &json!({"shop": "demo", "user_id": "C00001", "user_hash": app.other.user_hash("C00001")}),
        )
        .await;
    assert_eq!((spoof.status, spoof.code()), (401, "invalid_signature"));
    // A resumed token from another shop is not honoured there.
    let cross = app
        .post(
            "/api/v1/widget/sessions",
            None,
            &json!({"shop": "other", "visitor_token": mine}),
        )
        .await;
    assert_eq!(cross.status, 200);
    assert_ne!(
        cross.body["customer"]["id"],
        app.shop.customer.id.to_string().as_str()
    );
}

fn uuid_like() -> String {
    kefu_domain::CustomerId::new().to_string()
}

async fn wrong_passwords_and_unknown_agents_look_the_same(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (shop, user, pw) in [
        ("demo", "xiaomei", "wrong"),
        ("demo", "nobody", PASSWORD),
        ("nope", "xiaomei", PASSWORD),
        ("other", "xiaomei", ""),
    ] {
        let a = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"shop": shop, "username": user, "password": pw}),
            )
            .await;
        assert_eq!(
            (a.status, a.code()),
            (401, "invalid_credentials"),
            "{shop}/{user}"
        );
    }
}

both_backends!(
    another_shops_ids_answer_404_and_change_nothing,
    shoppers_reach_only_their_own_conversations,
    wrong_passwords_and_unknown_agents_look_the_same,
);
