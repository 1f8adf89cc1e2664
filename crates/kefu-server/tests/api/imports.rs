//! Customer, product and order imports, JSON and CSV: all or nothing.

use kefu_store::Store;
use kefu_testkit::*;
use serde_json::json;

async fn csv(app: &TestApp, token: &str, kind: &str, body: &str) -> Answer {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/imports/{kind}")))
        .bearer_auth(token)
        .header("content-type", "text/csv; charset=utf-8")
        .body(body.to_owned());
    app.send(r).await
}

async fn supervisors_import_json_and_csv_and_reimport_updates(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;

    let customers = json!([
        {"external_id": "C10001", "nickname": "豆豆爸", "phone": "139 1234 5678", "city": "成都", "vip_level": 2, "tags": ["二胎"]},
        {"external_id": "C10002", "nickname": "星星的妈咪", "tags": "敏感肌宝宝|老客"}
    ]);
    let a = app
        .post("/api/v1/imports/customers", Some(&boss), &customers)
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(
        (a.body["inserted"].as_u64(), a.body["updated"].as_u64()),
        (Some(2), Some(0))
    );

    let products = "\u{feff}sku,name,category,price,attributes\n\
        WS-80,云柔湿巾 80抽,湿巾,19.90,规格=80抽×6包;特点=无香精\n\
        HT-30,舒缓护臀霜 30g,护臀霜,¥59,\n";
    let a = csv(&app, &boss, "products", products).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["inserted"], 2);

    let orders = "order_no,customer_external_id,status,created_at,paid_at,shipped_at,received_at,refunded_at,tracking_no,sku,name,quantity,unit_price_fen\n\
        3921000000000001,C10001,shipped,2026-11-20 10:00:00,2026-11-20 10:01:00,2026-11-21 09:00:00,,,YT1234567890,WS-80,,2,1990\n\
        3921000000000001,C10001,shipped,2026-11-20 10:00:00,2026-11-20 10:01:00,2026-11-21 09:00:00,,,YT1234567890,HT-30,,1,5900\n\
        3921000000000002,C10002,paid,2026-11-24T02:00:00Z,2026-11-24T02:00:30Z,,,,,DP-M-58,,1,12900\n";
    let a = csv(&app, &boss, "orders", orders).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["inserted"], 2);
    let again = csv(&app, &boss, "orders", orders).await;
    assert_eq!(
        (
            again.body["inserted"].as_u64(),
            again.body["updated"].as_u64()
        ),
        (Some(0), Some(2))
    );

    let stored = app
        .store
        .store
        .customers_by_external_ids(app.shop.id(), &["C10001".to_owned()])
        .await
        .expect("read");
    let orders = app
        .store
        .store
        .customer_orders(app.shop.id(), stored[0].id, 5)
        .await
        .expect("orders");
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].items.len(), 2);
    assert_eq!(orders[0].total_fen, 2 * 1_990 + 5_900);
    assert_eq!(
        orders[0].items[1].name, "舒缓护臀霜 30g",
        "names come from the catalogue"
    );
    assert_eq!(
        orders[0].created_at.to_rfc3339(),
        "2026-11-20T02:00:00.000Z",
        "platform time is UTC+8"
    );
    assert_eq!(stored[0].phone.as_deref(), Some("13912345678"));
}

async fn one_bad_row_rejects_the_whole_import_with_every_problem(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let boss = app.login(&app.shop, &app.shop.supervisor).await;
    let before = app.store.store.counts(app.shop.id()).await.expect("counts");
    let bad = json!([
        {"external_id": "C20001", "nickname": "好的"},
        {"external_id": "", "vip_level": 9},
        {"external_id": "C20003", "phone": "call me"}
    ]);
    let a = app
        .post("/api/v1/imports/customers", Some(&boss), &bad)
        .await;
    assert_eq!((a.status, a.code()), (422, "validation_failed"));
    let details = a.body["details"].as_array().expect("details");
    let found: Vec<(u64, &str)> = details
        .iter()
        .map(|d| {
            (
                d["row"].as_u64().unwrap_or(0),
                d["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(found, [(2, "external_id"), (2, "vip_level"), (3, "phone")]);

    let orders = json!([{
        "order_no": "X1", "customer_external_id": "C99999", "status": "teleported",
        "created_at": "yesterday", "items": [{"sku": "NOPE", "quantity": 0, "unit_price_fen": -1}], "total_fen": 5
    }]);
    let a = app
        .post("/api/v1/imports/orders", Some(&boss), &orders)
        .await;
    assert_eq!(a.status, 422);
    let fields: Vec<&str> = a.body["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().unwrap_or(""))
        .collect();
    for f in [
        "customer_external_id",
        "status",
        "created_at",
        "items.name",
        "items.quantity",
        "items.unit_price_fen",
    ] {
        assert!(fields.contains(&f), "{f} reported in {fields:?}");
    }
    let gbk = app
        .send(
            app.client
                .post(app.url("/api/v1/imports/customers"))
                .bearer_auth(&boss)
                .header("content-type", "text/csv")
                .body(vec![0xc4u8, 0xe3, 0xba, 0xc3, b'\n']),
        )
        .await;
    assert_eq!((gbk.status, gbk.code()), (400, "invalid_csv"));
    assert_eq!(
        app.store.store.counts(app.shop.id()).await.expect("counts"),
        before,
        "nothing written"
    );
}

async fn agents_may_not_import(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let agent = app.login(&app.shop, &app.shop.agent).await;
    let a = app
        .post(
            "/api/v1/imports/customers",
            Some(&agent),
            &json!([{"external_id": "C1"}]),
        )
        .await;
    assert_eq!((a.status, a.code()), (403, "forbidden"));
}

both_backends!(
    supervisors_import_json_and_csv_and_reimport_updates,
    one_bad_row_rejects_the_whole_import_with_every_problem,
    agents_may_not_import,
);
