-- Conversation QA (质检): one score per closed conversation, supervisors' overrides of its
-- items, and the agent's one appeal. Times are Unix milliseconds.
--
-- `auto_total` is the scorer's total; `total` is the effective one, recomputed from the latest
-- override of each item whenever a review is added (guarded by `version`). `items` is the
-- scorer's items as JSON, `rubric` the weights it used (with `rubric_version`). A rescore
-- replaces the scorer's part and keeps the reviews.
CREATE TABLE qa_scores (
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    agent_id        TEXT,
    closed_at       INTEGER NOT NULL,
    scored_at       INTEGER NOT NULL,
    auto_total      INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    items           TEXT NOT NULL,
    rubric          TEXT NOT NULL,
    rubric_version  INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    PRIMARY KEY (shop_id, conversation_id)
);
CREATE INDEX qa_scores_by_closed ON qa_scores (shop_id, closed_at);
CREATE INDEX qa_scores_by_agent ON qa_scores (shop_id, agent_id, closed_at);
CREATE INDEX qa_scores_by_customer ON qa_scores (shop_id, customer_id, closed_at);

-- A supervisor's override of one item: the new score and why. The latest per item counts.
-- `appeal_id` is set when the override decided an appeal.
CREATE TABLE qa_reviews (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL,
    item            TEXT NOT NULL,
    score           INTEGER NOT NULL,
    comment         TEXT NOT NULL,
    reviewer_id     TEXT NOT NULL REFERENCES agents(id),
    at              INTEGER NOT NULL,
    appeal_id       TEXT,
    FOREIGN KEY (shop_id, conversation_id) REFERENCES qa_scores (shop_id, conversation_id)
);
CREATE INDEX qa_reviews_by_conversation ON qa_reviews (shop_id, conversation_id, at);

-- The agent's appeal (申诉) against one item, once per conversation; a supervisor accepts it
-- (with the item's new score, recorded as a review) or rejects it, with a comment.
CREATE TABLE qa_appeals (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL,
    agent_id        TEXT NOT NULL REFERENCES agents(id),
    item            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    status          TEXT NOT NULL,
    decided_by      TEXT REFERENCES agents(id),
    decision        TEXT,
    decided_at      INTEGER,
    FOREIGN KEY (shop_id, conversation_id) REFERENCES qa_scores (shop_id, conversation_id)
);
CREATE UNIQUE INDEX qa_appeal_once ON qa_appeals (shop_id, conversation_id);
CREATE INDEX qa_appeals_by_status ON qa_appeals (shop_id, status, created_at);
