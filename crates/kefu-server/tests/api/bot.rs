//! The bot in the conversation, as a shopper and an agent meet it: it answers from the
//! knowledge base with the shopper's own order, asks back, takes ratings, and hands off with a
//! reason and a summary — after which it stays quiet and people serve.

use crate::knowledge::seed;
use kefu_testkit::*;
use serde_json::{Value, json};

async fn say(app: &TestApp, visitor: &str, text: &str) -> Value {
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

async fn rate(app: &TestApp, visitor: &str, message: &str, helpful: bool) -> Answer {
    app.post(
        &format!("/api/v1/widget/messages/{message}/rating"),
        Some(visitor),
        &json!({ "helpful": helpful }),
    )
    .await
}

async fn detail(app: &TestApp, token: &str, conversation: &str) -> Value {
    let a = app
        .get(
            &format!("/api/v1/conversations/{conversation}"),
            Some(token),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
}

async fn stats(app: &TestApp, token: &str, entry: &Value) -> Value {
    let id = entry["id"].as_str().expect("id");
    let a = app
        .get(&format!("/api/v1/knowledge/{id}"), Some(token))
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["stats"].clone()
}

async fn the_bot_answers_takes_ratings_and_hands_off_with_a_summary(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let entries = seed(&app, &boss).await;
    let visitor = app.shopper(&app.shop).await;

    // A standard question, phrased as the knowledge base has it among its similar questions.
    let sent = say(&app, &visitor, "几天能发货").await;
    assert_eq!(sent["reply"]["sender"], "bot");
    assert_eq!(sent["reply"]["text"], "亲，16点前付款当天发货哦～");
    let conversation = sent["conversation_id"].as_str().expect("id").to_owned();
    let seen = detail(&app, &agent, &conversation).await;
    assert_eq!(seen["conversation"]["state"], "bot");
    assert_eq!(seen["conversation"]["tier"], "bot");
    assert_eq!(seen["bot_turns"][0]["action"], "answer");
    assert_eq!(seen["bot_turns"][0]["entries"][0]["key"], "kb-1");
    assert!(seen["bot_turns"][0]["confidence"].as_f64().expect("number") >= 0.5);

    // The answer is filled from the shopper's own latest order; the carrier comes from the
    // tracking number's format.
    let sent = say(&app, &visitor, "我的快递到哪了").await;
    let order_no = &app.shop.order.order_no;
    assert_eq!(
        sent["reply"]["text"],
        format!("亲，您的订单{order_no}由顺丰配送，单号SF1234567890123")
    );
    let answer = sent["reply"]["id"].as_str().expect("id").to_owned();

    // Ratings: once per answer, only the shopper's own, only answers.
    assert_eq!(rate(&app, &visitor, &answer, false).await.status, 200);
    let again = rate(&app, &visitor, &answer, true).await;
    assert_eq!((again.status, again.code()), (409, "conflict"));
    let question = sent["message"]["id"].as_str().expect("id");
    assert_eq!(rate(&app, &visitor, question, true).await.status, 404);
    let stranger = app.shopper(&app.other).await;
    assert_eq!(rate(&app, &stranger, &answer, true).await.status, 404);
    let bad = app
        .post(
            &format!("/api/v1/widget/messages/{answer}/rating"),
            Some(&visitor),
            &json!({ "helpful": "yes" }),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
    let counted = stats(&app, &boss, &entries[4]).await;
    assert_eq!(
        (counted["hits"].as_i64(), counted["unhelpful"].as_i64()),
        (Some(1), Some(1))
    );
    // A reloaded widget still knows which replies are answers and how they were rated.
    let history = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    let rated = history.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["id"] == answer.as_str())
        .expect("the answer is in the history");
    assert_eq!(
        (rated["bot_action"].as_str(), rated["helpful"].as_bool()),
        (Some("answer"), Some(false))
    );
    assert!(
        history.body["messages"][0].get("bot_action").is_none(),
        "shopper messages carry none"
    );

    // Asking for a person hands off at once, with what the agent needs.
    let sent = say(&app, &visitor, "转人工").await;
    assert_eq!(
        sent["reply"]["text"],
        "好的，马上为您转接人工客服，请稍等～"
    );
    let seen = detail(&app, &agent, &conversation).await;
    let c = &seen["conversation"];
    assert_eq!(
        (c["state"].as_str(), c["tier"].as_str()),
        (Some("queued"), Some("standard"))
    );
    assert_eq!(c["hand_off"]["reason"], "customer_request");
    assert_eq!(c["hand_off"]["summary"]["question"], "转人工");
    assert_eq!(
        c["hand_off"]["summary"]["order"],
        format!("{order_no} · 已发货")
    );
    let turns = seen["bot_turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 3);
    assert_eq!(turns[1]["helpful"], false);
    assert_eq!(turns[2]["reason"], "customer_request");
    let counted = stats(&app, &boss, &entries[4]).await;
    assert_eq!(
        counted["handoffs"].as_i64(),
        Some(1),
        "the hand-off came after kb-5's answer"
    );

    // From now on people serve: the bot stays quiet, and an agent's reply takes the conversation.
    let sent = say(&app, &visitor, "在吗").await;
    assert!(sent["reply"].is_null(), "{sent:?}");
    let replied = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&agent),
            &json!({ "text": "您好，我是客服小美" }),
        )
        .await;
    assert_eq!(replied.status, 201, "{:?}", replied.body);
    let seen = detail(&app, &agent, &conversation).await;
    assert_eq!(seen["conversation"]["state"], "waiting");
}

async fn unknown_questions_and_upset_shoppers_go_to_people(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    seed(&app, &boss).await;

    // Nothing in the knowledge base answers this: a person, not a guess.
    let visitor = app.shopper(&app.shop).await;
    let sent = say(&app, &visitor, "你们公司的营业执照能发我看看吗").await;
    assert_eq!(sent["reply"]["sender"], "bot");
    let conversation = sent["conversation_id"].as_str().expect("id");
    let seen = detail(&app, &agent, conversation).await;
    assert_eq!(
        seen["conversation"]["hand_off"]["reason"], "low_confidence",
        "{seen:#?}"
    );
    assert_eq!(seen["conversation"]["state"], "queued");

    // A shop with no knowledge base has no bot: straight to the queue, no bot reply.
    let other = app.shopper(&app.other).await;
    let sent = say(&app, &other, "几天能发货").await;
    assert!(sent["reply"].is_null());
    let other_agent = app.login(&app.other, &app.other.agent).await;
    let seen = detail(
        &app,
        &other_agent,
        sent["conversation_id"].as_str().expect("id"),
    )
    .await;
    assert_eq!(seen["conversation"]["state"], "queued");
    assert!(seen["conversation"]["hand_off"].is_null());
    assert!(seen["bot_turns"].as_array().expect("turns").is_empty());
}

async fn a_threatening_shopper_is_handed_off_even_on_a_known_question(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    seed(&app, &boss).await;
    let visitor = app.shopper(&app.shop).await;
    let sent = say(
        &app,
        &visitor,
        "到底什么时候发货？？再不发我就投诉到12315！",
    )
    .await;
    assert_eq!(
        sent["reply"]["text"],
        "非常抱歉给您带来不好的体验，已为您转接专属客服，马上为您处理。"
    );
    let seen = detail(&app, &agent, sent["conversation_id"].as_str().expect("id")).await;
    assert_eq!(
        seen["conversation"]["hand_off"]["reason"],
        "negative_emotion"
    );
    assert!(seen["conversation"]["hand_off"]["summary"]["topic"].is_string());
    // A threat to go to the regulator is a major complaint: the crisis team's queue, first.
    assert_eq!(seen["conversation"]["waiting"]["tier"], "crisis");
    assert_eq!(seen["conversation"]["waiting"]["priority"], "crisis");
}

async fn after_hours_the_bot_says_when_a_person_will_answer(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    seed(&app, &boss).await;
    // 23:30 shop time, after the default staffed hours (08:00–23:00).
    app.clock.advance_millis(13 * 3_600_000 + 30 * 60_000);
    let due = kefu_domain::Clock::now(&*app.clock).plus_millis(10 * 3_600_000 + 30 * 60_000);
    let visitor = anonymous(&app).await;
    let sent = say(&app, &visitor, "转人工").await;
    let text = sent["reply"]["text"].as_str().expect("reply");
    assert!(
        text.contains("留言") && text.contains(&due.to_shop_minute()),
        "{text}"
    );
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let seen = detail(&app, &agent, sent["conversation_id"].as_str().expect("id")).await;
    assert_eq!(seen["conversation"]["waiting"]["due"], json!(due));
    assert_eq!(seen["conversation"]["sla"]["clock"], "offline_reply");
}

/// A visitor the shop does not know (no user id): a new customer each time.
async fn anonymous(app: &TestApp) -> String {
    let a = app
        .post(
            "/api/v1/widget/sessions",
            None,
            &json!({ "shop": app.shop.slug() }),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["token"].as_str().expect("token").to_owned()
}

async fn agents_get_suggestions_and_admins_keep_the_base_alive(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let entries = seed(&app, &boss).await;

    // Once people serve, the agent gets the bot's answers as suggestions, filled in.
    let visitor = app.shopper(&app.shop).await;
    let sent = say(&app, &visitor, "转人工").await;
    let conversation = sent["conversation_id"].as_str().expect("id").to_owned();
    say(&app, &visitor, "我的快递到哪了").await;
    let path = format!("/api/v1/conversations/{conversation}/suggestions");
    let s = app.get(&path, Some(&agent)).await;
    assert_eq!(s.status, 200, "{:?}", s.body);
    assert_eq!(s.body["question"], "我的快递到哪了");
    let best = &s.body["suggestions"][0];
    assert_eq!(best["key"], "kb-5");
    assert_eq!(best["complete"], true);
    let order_no = &app.shop.order.order_no;
    assert_eq!(
        best["answer"],
        format!("亲，您的订单{order_no}由顺丰配送，单号SF1234567890123")
    );
    assert!(s.body["suggestions"].as_array().expect("list").len() <= 3);
    let other_agent = app.login(&app.other, &app.other.agent).await;
    assert_eq!(app.get(&path, Some(&other_agent)).await.status, 404);
    // A shopper with no order: what cannot be filled stays marked for the agent.
    let stranger = anonymous(&app).await;
    let sent = say(&app, &stranger, "转人工").await;
    say(&app, &stranger, "我的快递到哪了").await;
    let conversation_of_stranger = sent["conversation_id"].as_str().expect("id");
    let s = app
        .get(
            &format!("/api/v1/conversations/{conversation_of_stranger}/suggestions"),
            Some(&agent),
        )
        .await;
    assert_eq!(s.body["suggestions"][0]["key"], "kb-5");
    assert_eq!(s.body["suggestions"][0]["complete"], false);
    assert_eq!(
        s.body["suggestions"][0]["answer"],
        "亲，您的订单{order.no}由{order.carrier}配送，单号{order.tracking_no}"
    );
    let kb5 = entries[4]["id"].as_str().expect("id");
    let used = app
        .post(
            &format!("/api/v1/knowledge/{kb5}/used"),
            Some(&agent),
            &json!({}),
        )
        .await;
    assert_eq!((used.status, used.body["hits"].as_i64()), (200, Some(1)));

    // Questions nobody wrote an entry for, from several shoppers.
    for text in [
        "你们的营业执照能发我看看吗",
        "可以看一下你们店的营业执照吗",
        "营业执照给我看下",
        "能开增值税专用发票吗",
        "可以开专票吗",
    ] {
        let v = anonymous(&app).await;
        let sent = say(&app, &v, text).await;
        assert_eq!(sent["reply_action"], "hand_off", "{text}: {sent:?}");
    }
    let refresh = "/api/v1/knowledge/proposals/refresh";
    let denied = app.post(refresh, Some(&agent), &json!({})).await;
    assert_eq!((denied.status, denied.code()), (403, "forbidden"));
    let listed = app.post(refresh, Some(&boss), &json!({})).await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    assert!(listed.body["refreshed_at"].is_string());
    let proposals = listed.body["proposals"].as_array().expect("list").clone();
    let licence = proposals
        .iter()
        .find(|p| {
            p["question"]
                .as_str()
                .is_some_and(|q| q.contains("营业执照"))
        })
        .unwrap_or_else(|| panic!("a 营业执照 proposal: {proposals:#?}"));
    assert!(licence["askers"].as_i64().expect("n") >= 2, "{licence:?}");
    let again = app.post(refresh, Some(&boss), &json!({})).await;
    assert_eq!(
        again.body["proposals"], listed.body["proposals"],
        "a refresh with nothing new keeps the same proposals and ids"
    );
    assert_eq!(
        app.get("/api/v1/knowledge/proposals", Some(&agent))
            .await
            .body["proposals"]
            .as_array()
            .map(Vec::len),
        Some(proposals.len()),
        "agents may read the proposals"
    );

    // Approve with an answer: a published entry the bot answers with at once.
    let id = licence["id"].as_str().expect("id");
    let approve = format!("/api/v1/knowledge/proposals/{id}/approve");
    let body = json!({
        "question": licence["question"],
        "similar": licence["similar"],
        "answer": "亲，本店营业执照在店铺首页「店铺资质」里可以查看哦～",
        "tags": ["资质"],
    });
    let bad = app
        .post(
            &approve,
            Some(&boss),
            &json!({ "question": "", "answer": "x" }),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    let created = app.post(&approve, Some(&boss), &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["status"], "published");
    let again = app.post(&approve, Some(&boss), &body).await;
    assert_eq!((again.status, again.code()), (409, "conflict"));
    let v = anonymous(&app).await;
    let sent = say(&app, &v, "营业执照在哪里看").await;
    assert_eq!(sent["reply_action"], "answer", "{sent:?}");

    // Dismissed and approved questions are not proposed again.
    for p in proposals.iter().filter(|p| p["id"] != licence["id"]) {
        let path = format!(
            "/api/v1/knowledge/proposals/{}/dismiss",
            p["id"].as_str().expect("id")
        );
        let d = app.post(&path, Some(&boss), &json!({})).await;
        assert_eq!(
            (d.status, d.body["status"].as_str()),
            (200, Some("dismissed"))
        );
        assert_eq!(app.post(&path, Some(&boss), &json!({})).await.status, 409);
    }
    let missing = "/api/v1/knowledge/proposals/0196a0c4-0000-7000-8000-000000000000/dismiss";
    assert_eq!(app.post(missing, Some(&boss), &json!({})).await.status, 404);
    let listed = app.post(refresh, Some(&boss), &json!({})).await;
    assert_eq!(listed.body["proposals"], json!([]), "{:?}", listed.body);

    // The least useful published entries are listed for retirement (1 of 6 here).
    let r = app.get("/api/v1/knowledge/retirement", Some(&agent)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let listed = r.body["entries"].as_array().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["usefulness"], 0.0);
    assert_eq!(listed[0]["entry"]["status"], "published");
}

both_backends!(
    the_bot_answers_takes_ratings_and_hands_off_with_a_summary,
    unknown_questions_and_upset_shoppers_go_to_people,
    a_threatening_shopper_is_handed_off_even_on_a_known_question,
    after_hours_the_bot_says_when_a_person_will_answer,
    agents_get_suggestions_and_admins_keep_the_base_alive,
);
