CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
INSERT INTO users (email) VALUES ('ana@example.com');

CREATE SCHEMA archive;
CREATE TABLE archive.old_orders (
    id integer PRIMARY KEY,
    placed_on date NOT NULL
);
INSERT INTO archive.old_orders VALUES (1, '2019-12-24');
