CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
INSERT INTO users (email) VALUES ('ana@example.com');

CREATE TABLE legacy_data (
    id serial PRIMARY KEY,
    payload text
);
INSERT INTO legacy_data (payload) VALUES ('imported 2017');
