CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, body text, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
CREATE INDEX events_created_at_idx ON events (created_at);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
INSERT INTO events VALUES (1, '2026-01-15', 'x'), (2, '2026-02-03', 'y');
