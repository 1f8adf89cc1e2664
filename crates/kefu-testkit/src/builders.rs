//! Small builders for domain values with sensible defaults.

use kefu_domain::*;
use kefu_store::ShopRecord;

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_764_000_000_000 + ms)
}

pub fn text(s: &str) -> MessageText {
    MessageText::parse(s).expect("valid message text")
}

pub fn shop(slug: &str) -> ShopRecord {
    ShopRecord {
        shop: Shop {
            id: ShopId::new(),
            slug: slug.to_owned(),
            name: format!("{slug} 旗舰店"),
            created_at: at(0),
        },
        webhook_secret: format!("{slug}-webhook-secret"),
        widget_secret: format!("{slug}-widget-secret"),
    }
}

pub fn agent(shop: ShopId, username: &str, role: Role) -> Agent {
    Agent {
        id: AgentId::new(),
        shop,
        username: username.to_owned(),
        display_name: format!("客服{username}"),
        role,
        tier: Tier::Standard,
        skill_groups: vec!["售前".to_owned(), "售后".to_owned()],
        max_concurrent: 5,
        created_at: at(0),
    }
}

pub fn customer(shop: ShopId, external_id: &str) -> Customer {
    Customer {
        id: CustomerId::new(),
        shop,
        external_id: external_id.to_owned(),
        nickname: format!("宝妈{external_id}"),
        phone: Some("13812345678".to_owned()),
        city: Some("杭州".to_owned()),
        vip_level: 1,
        tags: vec!["老客".to_owned()],
        created_at: at(0),
    }
}

pub fn product(shop: ShopId, sku: &str, name: &str, price_fen: i64) -> Product {
    Product {
        id: ProductId::new(),
        shop,
        sku: sku.to_owned(),
        name: name.to_owned(),
        category: "纸尿裤".to_owned(),
        price_fen,
        attributes: [("规格".to_owned(), "M 58片".to_owned())].into(),
        created_at: at(0),
    }
}

pub fn order(shop: ShopId, customer: CustomerId, order_no: &str, product: &Product) -> Order {
    Order {
        id: OrderId::new(),
        shop,
        order_no: order_no.to_owned(),
        customer,
        status: OrderStatus::Shipped,
        items: vec![OrderItem {
            product_id: Some(product.id),
            sku: product.sku.clone(),
            name: product.name.clone(),
            quantity: 2,
            unit_price_fen: product.price_fen,
        }],
        total_fen: product.price_fen * 2,
        created_at: at(1_000),
        paid_at: Some(at(2_000)),
        shipped_at: Some(at(3_000)),
        received_at: None,
        refunded_at: None,
        tracking_no: Some("SF1234567890123".to_owned()),
    }
}
