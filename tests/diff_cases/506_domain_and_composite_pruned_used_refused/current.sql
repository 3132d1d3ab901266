CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE point2 AS (x integer, y integer);
CREATE TABLE users (id bigint PRIMARY KEY, mail email, pos point2);
