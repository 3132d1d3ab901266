CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b integer);
CREATE TABLE users (id bigint PRIMARY KEY);
