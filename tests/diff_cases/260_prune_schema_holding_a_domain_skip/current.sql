CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
CREATE SCHEMA reports;
CREATE DOMAIN reports.positive AS integer CHECK (VALUE > 0);
CREATE SCHEMA scratch;
