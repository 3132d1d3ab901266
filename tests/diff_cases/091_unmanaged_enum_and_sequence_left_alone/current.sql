CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
INSERT INTO users (email) VALUES ('ana@example.com');

CREATE SEQUENCE old_invoice_number START 500;
CREATE TYPE legacy_state AS ENUM ('on', 'off');
