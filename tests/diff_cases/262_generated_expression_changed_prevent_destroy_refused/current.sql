CREATE TABLE lines (id bigint PRIMARY KEY, qty integer NOT NULL, price numeric(10,2) NOT NULL, total numeric GENERATED ALWAYS AS (qty * price) STORED);
INSERT INTO lines VALUES (1, 2, 3.50), (2, 1, 10);
CREATE INDEX lines_total_idx ON lines (total);
