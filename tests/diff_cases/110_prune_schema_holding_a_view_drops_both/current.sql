CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
CREATE SCHEMA reports;
CREATE VIEW reports.user_count AS SELECT count(*) AS n FROM users;
CREATE SCHEMA scratch;
