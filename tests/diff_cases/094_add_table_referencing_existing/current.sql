CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
INSERT INTO users (email) VALUES ('ana@example.com');
