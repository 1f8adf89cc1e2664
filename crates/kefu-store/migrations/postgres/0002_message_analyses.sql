-- What the text engine read in each message (kefu-text): sentiment, emotion, lexicon hits and
-- entities. Written in the same transaction as the message. Keyed by message, not derived
-- from the log: rebuilding the projections keeps it, and `analyzer` says which lexicons and
-- model produced it, so a later version can re-analyse old messages on purpose. No foreign key
-- to conversations: a rebuild deletes and re-inserts them.
CREATE TABLE message_analyses (
    message_id        TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    conversation_id   TEXT NOT NULL,
    sender            TEXT NOT NULL,
    at                BIGINT NOT NULL,
    analyzer          TEXT NOT NULL,
    sentiment         TEXT NOT NULL,
    score             DOUBLE PRECISION NOT NULL,
    emotion           TEXT,
    intensity         DOUBLE PRECISION NOT NULL,
    body              TEXT NOT NULL
);
CREATE INDEX message_analyses_by_conversation ON message_analyses (shop_id, conversation_id, at);
