//! Catalogue and customer imports, as JSON arrays or CSV (UTF-8, optional BOM, header row).
//!
//! An import is all or nothing: every row is checked first, every problem is reported with its
//! row and field, and nothing is written unless all rows are valid. Rows are matched by their
//! natural keys (customer `external_id`, product `sku`, order `order_no`), so importing the same
//! file twice updates instead of duplicating.
//!
//! CSV layouts (header names; optional columns may be absent or empty):
//! - customers: `external_id, nickname, phone, city, vip_level, tags` (tags joined by `|`)
//! - products: `sku, name, category, price_fen | price (yuan), attributes` (`key=value;key=value`)
//! - orders, one line per item: `order_no, customer_external_id, status, created_at, paid_at,
//!   shipped_at, received_at, refunded_at, tracking_no, sku, name, quantity, unit_price_fen`.
//!
//! Times are RFC 3339, or `YYYY-MM-DD HH:MM:SS` in China Standard Time as platforms export them.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::extract::RawBody;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use axum::{Json, Router};
use kefu_domain::*;
use kefu_store::ImportCounts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/imports/{kind}", post(import))
}

/// Applies the larger body limit that imports need.
pub fn body_limit(state: &AppState) -> DefaultBodyLimit {
    DefaultBodyLimit::max(state.limits.max_import_bytes)
}

/// At most this many problems are reported; a broken file would otherwise answer megabytes.
const MAX_REPORTED: usize = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// customers | products | orders
    pub kind: String,
    pub inserted: u64,
    pub updated: u64,
}

/// Imports customers, products or orders (JSON array or CSV).
#[utoipa::path(post, path = "/api/v1/imports/{kind}",
    params(("kind" = String, Path, description = "customers | products | orders")),
    request_body(content = String, description = "a JSON array, or CSV with a header row",
        content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    session: AgentSession,
    Path(kind): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<ImportResult>> {
    session.require(Role::can_import)?;
    let format = Format::of(&headers)?;
    let shop = session.shop();
    let now = state.clock.now();
    let counts = match kind.as_str() {
        "customers" => {
            let rows: Vec<CustomerRow> = format.rows(&body)?;
            let customers = collect(
                rows.into_iter()
                    .enumerate()
                    .map(|(i, r)| r.into_customer(i + 1, shop, now)),
            )?;
            state.store.upsert_customers(shop, &customers).await?
        }
        "products" => {
            let rows: Vec<ProductRow> = format.rows(&body)?;
            let products = collect(
                rows.into_iter()
                    .enumerate()
                    .map(|(i, r)| r.into_product(i + 1, shop, now)),
            )?;
            let counts = state.store.upsert_products(shop, &products).await?;
            state.text.forget(shop);
            counts
        }
        "orders" => {
            let rows: Vec<OrderRow> = match format {
                Format::Json => format.rows(&body)?,
                Format::Csv => group_csv_orders(format.rows(&body)?)?,
            };
            import_orders(&state, shop, rows).await?
        }
        _ => return Err(ApiError::not_found("import kind")),
    };
    tracing::info!(%shop, kind, inserted = counts.inserted, updated = counts.updated, "import done");
    Ok(Json(ImportResult {
        kind,
        inserted: counts.inserted,
        updated: counts.updated,
    }))
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Csv,
}

impl Format {
    fn of(headers: &HeaderMap) -> ApiResult<Self> {
        let ct = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ct.starts_with("application/json") {
            Ok(Format::Json)
        } else if ct.starts_with("text/csv") || ct.starts_with("application/csv") {
            Ok(Format::Csv)
        } else {
            Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send application/json (an array) or text/csv",
            ))
        }
    }

    fn rows<T: DeserializeOwned>(self, body: &[u8]) -> ApiResult<Vec<T>> {
        match self {
            Format::Json => crate::extract::parse_json(body),
            Format::Csv => parse_csv(body),
        }
    }
}

fn parse_csv<T: DeserializeOwned>(body: &[u8]) -> ApiResult<Vec<T>> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidCsv,
            "CSV must be UTF-8 (in Excel: 另存为 → CSV UTF-8)",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.deserialize::<T>().enumerate() {
        match record {
            Ok(r) => rows.push(r),
            Err(e) => problems.push(FieldError {
                row: Some(i + 1),
                field: "csv".to_owned(),
                message: e.to_string(),
            }),
        }
        if problems.len() >= MAX_REPORTED {
            break;
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(ApiError::validation(problems))
    }
}

/// Gathers valid rows, or every problem (up to [`MAX_REPORTED`]).
fn collect<T>(rows: impl Iterator<Item = Result<T, Vec<FieldError>>>) -> ApiResult<Vec<T>> {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for r in rows {
        match r {
            Ok(v) => ok.push(v),
            Err(p) => problems.extend(p),
        }
        if problems.len() >= MAX_REPORTED {
            problems.truncate(MAX_REPORTED);
            break;
        }
    }
    if problems.is_empty() {
        Ok(ok)
    } else {
        Err(ApiError::validation(problems))
    }
}

/// Collects field problems of one row.
struct RowCheck {
    row: usize,
    problems: Vec<FieldError>,
}

impl RowCheck {
    fn new(row: usize) -> Self {
        Self {
            row,
            problems: Vec::new(),
        }
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldError {
            row: Some(self.row),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() || v.chars().count() > max {
            self.fail(field, format!("must be 1 to {max} characters"));
        }
        v.to_owned()
    }

    fn time(&mut self, field: &str, value: Option<&str>) -> Option<Timestamp> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        let t = Timestamp::parse_flexible(v);
        if t.is_none() {
            self.fail(field, "must be RFC 3339 or YYYY-MM-DD HH:MM:SS");
        }
        t
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(self.problems)
        }
    }
}

/// A list given as a JSON array or as one `|`-joined string (CSV).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Joined(String),
}

impl Tags {
    fn into_vec(self) -> Vec<String> {
        let items = match self {
            Tags::List(v) => v,
            Tags::Joined(s) => s.split(['|', '，', ',']).map(str::to_owned).collect(),
        };
        items
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRow {
    external_id: String,
    nickname: Option<String>,
    phone: Option<String>,
    city: Option<String>,
    vip_level: Option<u8>,
    tags: Option<Tags>,
}

impl CustomerRow {
    fn into_customer(
        self,
        row: usize,
        shop: ShopId,
        now: Timestamp,
    ) -> Result<Customer, Vec<FieldError>> {
        let mut check = RowCheck::new(row);
        let external_id = check.text("external_id", &self.external_id, 64);
        let nickname = match self
            .nickname
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(n) => check.text("nickname", n, 32),
            None => external_id.clone(),
        };
        let phone = self
            .phone
            .map(|p| p.trim().replace([' ', '-'], ""))
            .filter(|p| !p.is_empty());
        if let Some(p) = &phone {
            let digits = p.strip_prefix("+86").unwrap_or(p);
            if !(5..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                check.fail("phone", "must be 5 to 15 digits");
            }
        }
        let vip_level = self.vip_level.unwrap_or(0);
        if vip_level > 5 {
            check.fail("vip_level", "must be 0 to 5");
        }
        let customer = Customer {
            id: CustomerId::new(),
            shop,
            external_id,
            nickname,
            phone,
            city: self
                .city
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            vip_level,
            tags: self.tags.map(Tags::into_vec).unwrap_or_default(),
            created_at: now,
        };
        check.finish(customer)
    }
}

/// Attributes as a JSON object or `key=value;key=value` (CSV).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Attributes {
    Map(BTreeMap<String, String>),
    Joined(String),
}

/// A price in yuan, as a number or a string such as `129.00`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Yuan {
    Number(f64),
    Text(String),
}

impl Yuan {
    fn to_fen(&self) -> Option<i64> {
        let text = match self {
            Yuan::Number(n) => format!("{n:.2}"),
            Yuan::Text(t) => t.trim().trim_start_matches(['¥', '￥']).to_owned(),
        };
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        if frac.len() > 2 || whole.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok().filter(|w| *w >= 0)?;
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        whole.checked_mul(100)?.checked_add(frac)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductRow {
    sku: String,
    name: String,
    category: String,
    price_fen: Option<i64>,
    price: Option<Yuan>,
    attributes: Option<Attributes>,
}

impl ProductRow {
    fn into_product(
        self,
        row: usize,
        shop: ShopId,
        now: Timestamp,
    ) -> Result<Product, Vec<FieldError>> {
        let mut check = RowCheck::new(row);
        let sku = check.text("sku", &self.sku, 64);
        let name = check.text("name", &self.name, 120);
        let category = check.text("category", &self.category, 32);
        let price_fen = match (self.price_fen, &self.price) {
            (Some(f), _) => Some(f),
            (None, Some(y)) => y.to_fen(),
            (None, None) => None,
        };
        let price_fen = match price_fen {
            Some(f) if (0..=10_000_000_000).contains(&f) => f,
            _ => {
                check.fail(
                    "price_fen",
                    "give price_fen (whole fen ≥ 0) or price in yuan, e.g. 129.00",
                );
                0
            }
        };
        let attributes = match self.attributes {
            None => BTreeMap::new(),
            Some(Attributes::Map(m)) => m,
            Some(Attributes::Joined(s)) => {
                let mut m = BTreeMap::new();
                for pair in s
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    match pair.split_once(['=', '：', ':']) {
                        Some((k, v)) if !k.trim().is_empty() => {
                            m.insert(k.trim().to_owned(), v.trim().to_owned());
                        }
                        _ => check.fail("attributes", format!("{pair:?} is not key=value")),
                    }
                }
                m
            }
        };
        check.finish(Product {
            id: ProductId::new(),
            shop,
            sku,
            name,
            category,
            price_fen,
            attributes,
            created_at: now,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderItemRow {
    sku: String,
    name: Option<String>,
    quantity: u32,
    unit_price_fen: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRow {
    order_no: String,
    customer_external_id: String,
    status: String,
    created_at: String,
    paid_at: Option<String>,
    shipped_at: Option<String>,
    received_at: Option<String>,
    refunded_at: Option<String>,
    tracking_no: Option<String>,
    items: Vec<OrderItemRow>,
    total_fen: Option<i64>,
    /// The CSV line of the order's first item, for error messages.
    #[serde(skip)]
    line: Option<usize>,
}

/// One CSV line: an order's fields plus one of its items.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderCsvLine {
    order_no: String,
    customer_external_id: String,
    status: String,
    created_at: String,
    paid_at: Option<String>,
    shipped_at: Option<String>,
    received_at: Option<String>,
    refunded_at: Option<String>,
    tracking_no: Option<String>,
    sku: String,
    name: Option<String>,
    quantity: u32,
    unit_price_fen: i64,
}

fn group_csv_orders(lines: Vec<OrderCsvLine>) -> ApiResult<Vec<OrderRow>> {
    let mut orders: Vec<OrderRow> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (i, l) in lines.into_iter().enumerate() {
        let item = OrderItemRow {
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
        };
        match index.get(&l.order_no) {
            Some(&at) => {
                let o = &mut orders[at];
                if o.customer_external_id != l.customer_external_id || o.status != l.status {
                    problems.push(FieldError {
                        row: Some(i + 1),
                        field: "order_no".to_owned(),
                        message: format!(
                            "lines of order {} disagree on customer or status",
                            l.order_no
                        ),
                    });
                }
                o.items.push(item);
            }
            None => {
                index.insert(l.order_no.clone(), orders.len());
                orders.push(OrderRow {
                    order_no: l.order_no,
                    customer_external_id: l.customer_external_id,
                    status: l.status,
                    created_at: l.created_at,
                    paid_at: l.paid_at,
                    shipped_at: l.shipped_at,
                    received_at: l.received_at,
                    refunded_at: l.refunded_at,
                    tracking_no: l.tracking_no,
                    items: vec![item],
                    total_fen: None,
                    line: Some(i + 1),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(orders)
    } else {
        Err(ApiError::validation(problems))
    }
}

async fn import_orders(
    state: &AppState,
    shop: ShopId,
    rows: Vec<OrderRow>,
) -> ApiResult<ImportCounts> {
    let mut external: Vec<String> = rows
        .iter()
        .map(|r| r.customer_external_id.trim().to_owned())
        .collect();
    external.sort();
    external.dedup();
    let customers: HashMap<String, CustomerId> = state
        .store
        .customers_by_external_ids(shop, &external)
        .await?
        .into_iter()
        .map(|c| (c.external_id, c.id))
        .collect();
    let mut skus: Vec<String> = rows
        .iter()
        .flat_map(|r| r.items.iter().map(|i| i.sku.trim().to_owned()))
        .collect();
    skus.sort();
    skus.dedup();
    let products: HashMap<String, Product> = state
        .store
        .products_by_skus(shop, &skus)
        .await?
        .into_iter()
        .map(|p| (p.sku.clone(), p))
        .collect();
    let orders = collect(rows.into_iter().enumerate().map(|(i, r)| {
        let row = r.line.unwrap_or(i + 1);
        r.into_order(row, shop, &customers, &products)
    }))?;
    Ok(state.store.upsert_orders(shop, &orders).await?)
}

impl OrderRow {
    fn into_order(
        self,
        row: usize,
        shop: ShopId,
        customers: &HashMap<String, CustomerId>,
        products: &HashMap<String, Product>,
    ) -> Result<Order, Vec<FieldError>> {
        let mut check = RowCheck::new(row);
        let order_no = check.text("order_no", &self.order_no, 64);
        let customer = customers.get(self.customer_external_id.trim()).copied();
        if customer.is_none() {
            check.fail(
                "customer_external_id",
                "no such customer in this shop; import customers first",
            );
        }
        let status = OrderStatus::parse(self.status.trim());
        if status.is_none() {
            check.fail(
                "status",
                "must be unpaid, paid, shipped, received, refunding, refunded or closed",
            );
        }
        let created_at = check.time("created_at", Some(&self.created_at));
        if created_at.is_none() && self.created_at.trim().is_empty() {
            check.fail("created_at", "is required");
        }
        let paid_at = check.time("paid_at", self.paid_at.as_deref());
        let shipped_at = check.time("shipped_at", self.shipped_at.as_deref());
        let received_at = check.time("received_at", self.received_at.as_deref());
        let refunded_at = check.time("refunded_at", self.refunded_at.as_deref());
        for (field, earlier, later) in [
            ("paid_at", created_at, paid_at),
            ("shipped_at", paid_at.or(created_at), shipped_at),
            ("received_at", shipped_at, received_at),
        ] {
            if let (Some(a), Some(b)) = (earlier, later)
                && b < a
            {
                check.fail(field, "is earlier than the step before it");
            }
        }
        if self.items.is_empty() {
            check.fail("items", "an order needs at least one item");
        }
        let mut items = Vec::with_capacity(self.items.len());
        for item in self.items {
            let sku = item.sku.trim().to_owned();
            let product = products.get(&sku);
            let name = item
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .or_else(|| product.map(|p| p.name.clone()));
            if sku.is_empty() {
                check.fail("items.sku", "is required");
            }
            if name.is_none() {
                check.fail(
                    "items.name",
                    format!("{sku} is not a known product; give its name"),
                );
            }
            if item.quantity == 0 || item.quantity > 10_000 {
                check.fail("items.quantity", "must be 1 to 10000");
            }
            if item.unit_price_fen < 0 {
                check.fail("items.unit_price_fen", "must not be negative");
            }
            items.push(OrderItem {
                product_id: product.map(|p| p.id),
                sku,
                name: name.unwrap_or_default(),
                quantity: item.quantity,
                unit_price_fen: item.unit_price_fen,
            });
        }
        let (Some(customer), Some(status), Some(created_at)) = (customer, status, created_at)
        else {
            return Err(check.problems);
        };
        let mut order = Order {
            id: OrderId::new(),
            shop,
            order_no,
            customer,
            status,
            items,
            total_fen: 0,
            created_at,
            paid_at,
            shipped_at,
            received_at,
            refunded_at,
            tracking_no: self
                .tracking_no
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        };
        order.total_fen = order.items_total_fen();
        if let Some(total) = self.total_fen
            && total != order.total_fen
        {
            check.fail(
                "total_fen",
                format!("is {total} but the items add up to {}", order.total_fen),
            );
        }
        check.finish(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_prices_become_exact_fen() {
        let fen = |s: &str| Yuan::Text(s.to_owned()).to_fen();
        assert_eq!(fen("129.00"), Some(12_900));
        assert_eq!(fen("¥9.9"), Some(990));
        assert_eq!(fen("88"), Some(8_800));
        assert_eq!(fen("1.999"), None);
        assert_eq!(fen("-3"), None);
        assert_eq!(fen("abc"), None);
        assert_eq!(Yuan::Number(59.9).to_fen(), Some(5_990));
    }

    #[test]
    fn tags_accept_lists_and_joined_text() {
        assert_eq!(
            Tags::Joined("老客| 高价值，敏感肌宝宝".into()).into_vec(),
            ["老客", "高价值", "敏感肌宝宝"]
        );
        assert_eq!(
            Tags::List(vec![" 新客 ".into(), String::new()]).into_vec(),
            ["新客"]
        );
    }
}
