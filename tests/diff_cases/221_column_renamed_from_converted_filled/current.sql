CREATE TABLE items (id integer PRIMARY KEY, qty text);
CREATE INDEX items_qty_idx ON items (qty);
INSERT INTO items VALUES (1, '3'), (2, NULL), (3, '12');
