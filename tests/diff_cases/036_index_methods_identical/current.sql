CREATE TABLE events (
    id bigserial PRIMARY KEY,
    session_token text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    tags text[],
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_events_session_token ON events USING hash (session_token);
CREATE INDEX ON events USING gin (payload);
CREATE INDEX ix_events_tags ON events USING GIN (tags);
CREATE INDEX ON events USING brin (occurred_at);

INSERT INTO events (session_token, payload, tags) VALUES ('s-1', '{"type": "login"}', '{web}');
