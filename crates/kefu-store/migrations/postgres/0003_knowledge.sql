-- The knowledge base (知识库): one row per entry. The lists (similar questions, tags,
-- products) are JSON arrays: they are always read and written with their entry, and a shop's
-- whole knowledge base is loaded at once to build its retrieval index. The statistics are
-- counters bumped in place; they do not change the entry's version, so a hit never makes an
-- editor's save look stale.
CREATE TABLE knowledge_entries (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    entry_key   TEXT,
    question    TEXT NOT NULL,
    similar_questions TEXT NOT NULL,
    answer      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    products    TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    hits        BIGINT NOT NULL DEFAULT 0,
    helpful     BIGINT NOT NULL DEFAULT 0,
    unhelpful   BIGINT NOT NULL DEFAULT 0,
    handoffs    BIGINT NOT NULL DEFAULT 0
);
-- The shop's own codes are unique; entries without one (NULL) are not compared.
CREATE UNIQUE INDEX knowledge_entries_by_key ON knowledge_entries (shop_id, entry_key);
CREATE INDEX knowledge_entries_by_status ON knowledge_entries (shop_id, status, updated_at);

-- Per-shop settings, one JSON document per section (`bot` thresholds, and later policies).
CREATE TABLE shop_settings (
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    section     TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (shop_id, section)
);
