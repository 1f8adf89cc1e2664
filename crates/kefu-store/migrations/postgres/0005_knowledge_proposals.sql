-- Proposed entries, clustered from the questions the bot handed off unanswered. Open ones are
-- replaced on every refresh; decided ones (approved, dismissed) are kept so their questions are
-- not proposed again. The lists are JSON arrays, as in knowledge_entries.
CREATE TABLE knowledge_proposals (
    id                TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    question          TEXT NOT NULL,
    similar_questions TEXT NOT NULL,
    asked             BIGINT NOT NULL,
    askers            BIGINT NOT NULL,
    status            TEXT NOT NULL,
    entry_id          TEXT,
    created_at        BIGINT NOT NULL,
    decided_at        BIGINT
);
CREATE INDEX knowledge_proposals_by_status ON knowledge_proposals (shop_id, status, created_at);
