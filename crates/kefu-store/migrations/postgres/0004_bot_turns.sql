-- What the bot remembers of a conversation (misses in a row, its latest answer, the entries it
-- offered, its hand-off and summary) as one JSON document; NULL before the bot's first turn.
ALTER TABLE conversations ADD COLUMN bot TEXT;

-- One row per bot decision, projected from the log's bot_decided events (and their ratings
-- from bot_rated): the agent sees the bot's turns, a shopper's rating finds its answer by the
-- reply's message id, and questions the bot could not answer are read back to propose entries.
CREATE TABLE bot_turns (
    event_id        TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    question_id     TEXT NOT NULL,
    reply_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    reason          TEXT,
    decision        TEXT NOT NULL,
    helpful         BIGINT,
    at              BIGINT NOT NULL,
    event_seq       BIGINT NOT NULL
);
CREATE INDEX bot_turns_by_conversation ON bot_turns (conversation_id, event_seq);
CREATE UNIQUE INDEX bot_turns_by_reply ON bot_turns (shop_id, reply_id);
CREATE INDEX bot_turns_by_reason ON bot_turns (shop_id, reason, at);
