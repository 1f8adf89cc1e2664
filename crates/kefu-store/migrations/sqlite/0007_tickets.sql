-- Tickets (工单): work a chat cannot finish, owned by the agent who first took the case. `number`
-- is the shop's running number. `version` guards concurrent edits. Times are Unix milliseconds.
CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    number          INTEGER NOT NULL,
    conversation_id TEXT,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_no        TEXT,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    owner_id        TEXT NOT NULL REFERENCES agents(id),
    department      TEXT,
    status          TEXT NOT NULL,
    due_at          INTEGER,
    repeat_of       TEXT REFERENCES tickets(id),
    reopen_count    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    version         INTEGER NOT NULL,
    UNIQUE (shop_id, number)
);
CREATE INDEX tickets_by_status_due ON tickets (shop_id, status, due_at);
CREATE INDEX tickets_by_order ON tickets (shop_id, order_no);

-- A ticket's history. `change` is the kind of change, `data` the typed change as JSON, `detail`
-- the person's words. A reminder also fills `reminder` and `reminder_due_at` (the due time it is
-- about): it is recorded once per ticket, kind and due time, so it fires once even across
-- restarts and nodes.
CREATE TABLE ticket_changes (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id         TEXT NOT NULL REFERENCES shops(id),
    ticket_id       TEXT NOT NULL REFERENCES tickets(id),
    at              INTEGER NOT NULL,
    by_agent        TEXT,
    change          TEXT NOT NULL,
    data            TEXT NOT NULL,
    detail          TEXT NOT NULL,
    reminder        TEXT,
    reminder_due_at INTEGER
);
CREATE INDEX ticket_changes_by_ticket ON ticket_changes (shop_id, ticket_id, seq);
CREATE UNIQUE INDEX ticket_reminder_once ON ticket_changes (ticket_id, reminder, reminder_due_at)
    WHERE reminder IS NOT NULL;
