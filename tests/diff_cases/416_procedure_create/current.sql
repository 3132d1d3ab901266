CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, placed_at timestamptz NOT NULL);
