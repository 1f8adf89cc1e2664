-- While a conversation waits for a person: its tier, priority, skill group, offline due time,
-- whether it was sent back and since when, as one JSON document; NULL otherwise. Routing
-- rebuilds its queues from this at start.
ALTER TABLE conversations ADD COLUMN waiting TEXT;

-- Whether each agent takes new conversations now (online, busy, away, offline). An agent
-- without a row is offline.
CREATE TABLE agent_presence (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id),
    shop_id  TEXT NOT NULL REFERENCES shops(id),
    status   TEXT NOT NULL,
    since    INTEGER NOT NULL
);
CREATE INDEX agent_presence_by_shop ON agent_presence (shop_id);

-- Every status change, for online hours and per-capita output.
CREATE TABLE agent_status_changes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id  TEXT NOT NULL REFERENCES shops(id),
    agent_id TEXT NOT NULL REFERENCES agents(id),
    status   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX agent_status_changes_by_shop ON agent_status_changes (shop_id, at);

-- The log read by kind and time: the day's SLA signals and transfers.
CREATE INDEX events_by_kind ON events (shop_id, kind, at);
