CREATE TABLE items (id bigint PRIMARY KEY, qty integer);
INSERT INTO items VALUES (1, 3);
