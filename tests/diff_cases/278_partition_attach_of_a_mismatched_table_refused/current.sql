CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, body text, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE events_2026_02 (id integer NOT NULL, created_at timestamptz NOT NULL, body text, extra int);
INSERT INTO events_2026_02 VALUES (2, '2026-02-03', 'y', 1);
