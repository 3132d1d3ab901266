CREATE TYPE status AS ENUM ('open', 'done');
CREATE DOMAIN quantity AS integer DEFAULT 1 + 1
    CONSTRAINT parity CHECK (VALUE % 2 IN (0, 1))
    CONSTRAINT bounded CHECK (VALUE BETWEEN 0 AND 1000);
CREATE DOMAIN state AS status DEFAULT 'open';
CREATE TYPE box2 AS (w quantity, h quantity);
CREATE TABLE items (
    id bigint PRIMARY KEY,
    qty quantity DEFAULT 2 * 3,
    st state,
    size box2,
    CONSTRAINT items_qty_check CHECK (qty IN (2, 4, 6))
);
CREATE INDEX items_qty_idx ON items ((qty + 1)) WHERE qty > 0;
INSERT INTO items VALUES (1, 2, 'open', ROW(1, 2));
