-- A conversation made more urgent while it runs (情绪升级): {priority, reason, at} as JSON; NULL
-- if it never was.
ALTER TABLE conversations ADD COLUMN escalation TEXT;

-- Supervisor alerts (告警). At most one open (not resolved) alert per shop, kind and subject: the
-- same trouble again bumps `count` instead. `version` guards concurrent changes. Times are Unix
-- milliseconds.
CREATE TABLE alerts (
    id                      TEXT PRIMARY KEY,
    shop_id                 TEXT NOT NULL REFERENCES shops(id),
    kind                    TEXT NOT NULL,
    subject                 TEXT NOT NULL,
    severity                TEXT NOT NULL,
    state                   TEXT NOT NULL,
    title                   TEXT NOT NULL,
    detail                  TEXT NOT NULL,
    conversation_id         TEXT,
    agent_id                TEXT,
    count                   BIGINT NOT NULL,
    raised_at               BIGINT NOT NULL,
    last_at                 BIGINT NOT NULL,
    delivered_at            BIGINT,
    delivered_via           TEXT,
    acknowledged_at         BIGINT,
    acknowledged_by         TEXT,
    resolved_at             BIGINT,
    resolved_by             TEXT,
    delivery_escalated_at   BIGINT,
    resolution_escalated_at BIGINT,
    version                 BIGINT NOT NULL
);
CREATE UNIQUE INDEX one_open_alert ON alerts (shop_id, kind, subject) WHERE state <> 'resolved';
CREATE INDEX alerts_by_shop ON alerts (shop_id, state, raised_at);

-- An alert's history: raised, bumped, delivered (and by which sink), delivery failures,
-- acknowledged, resolved (with the supervisor's note), escalated. `data` is the typed change.
CREATE TABLE alert_changes (
    seq      BIGSERIAL PRIMARY KEY,
    shop_id  TEXT NOT NULL REFERENCES shops(id),
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    at       BIGINT NOT NULL,
    by_agent TEXT,
    change   TEXT NOT NULL,
    data     TEXT NOT NULL,
    note     TEXT NOT NULL
);
CREATE INDEX alert_changes_by_alert ON alert_changes (shop_id, alert_id, seq);

-- Hourly counts the alert baselines read (`complaints`: complaint messages and tickets opened),
-- keyed by the hour's start. Kept as counted, not derived from the log.
CREATE TABLE alert_tallies (
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    metric     TEXT NOT NULL,
    hour_start BIGINT NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (shop_id, metric, hour_start)
);
