CREATE TABLE orders (id serial PRIMARY KEY, note text);
ALTER TABLE orders RENAME TO purchases;
