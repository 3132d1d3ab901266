CREATE TABLE customers (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (email) VALUES ('ana@example.com'), ('bo@example.com'), ('cy@example.com');
