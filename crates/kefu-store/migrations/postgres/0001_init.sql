-- kefu schema, PostgreSQL dialect. Ids are UUID text, times are Unix milliseconds, money is fen.
CREATE TABLE shops (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    widget_secret  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops(id),
    username       TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    tier           TEXT NOT NULL,
    skill_groups   TEXT NOT NULL,
    max_concurrent BIGINT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (shop_id, username)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    agent_id   TEXT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    external_id TEXT NOT NULL,
    nickname    TEXT NOT NULL,
    phone       TEXT,
    city        TEXT,
    vip_level   BIGINT NOT NULL,
    tags        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (shop_id, external_id)
);

CREATE TABLE products (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    category   TEXT NOT NULL,
    price_fen  BIGINT NOT NULL,
    attributes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (shop_id, sku)
);

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    order_no    TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    status      TEXT NOT NULL,
    items       TEXT NOT NULL,
    total_fen   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    paid_at     BIGINT,
    shipped_at  BIGINT,
    received_at BIGINT,
    refunded_at BIGINT,
    tracking_no TEXT,
    UNIQUE (shop_id, order_no)
);
CREATE INDEX orders_by_customer ON orders (shop_id, customer_id, created_at);

-- The append-only log. `seq` orders it; nothing ever updates or deletes a row.
CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX events_by_conversation ON events (shop_id, conversation_id, seq);

-- Projections of the log: rebuildable at any time.
CREATE TABLE conversations (
    id                TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    channel           TEXT NOT NULL,
    platform          TEXT,
    state             TEXT NOT NULL,
    tier              TEXT NOT NULL,
    assigned_agent_id TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    last_text         TEXT,
    last_sender       TEXT,
    last_at           BIGINT,
    message_count     BIGINT NOT NULL,
    version           BIGINT NOT NULL
);
-- A shopper has at most one open conversation per shop; this also guards concurrent nodes.
CREATE UNIQUE INDEX one_open_conversation_per_customer
    ON conversations (shop_id, customer_id) WHERE state <> 'closed';
CREATE INDEX conversations_by_activity ON conversations (shop_id, updated_at);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    sender          TEXT NOT NULL,
    agent_id        TEXT,
    text            TEXT NOT NULL,
    at              BIGINT NOT NULL,
    event_seq       BIGINT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (shop_id, conversation_id, event_seq);

-- Webhook deliveries already answered, so a retry returns the first answer.
CREATE TABLE idempotency_keys (
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    response     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (shop_id, idem_key)
);
