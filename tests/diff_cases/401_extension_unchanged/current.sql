CREATE EXTENSION citext;
CREATE TABLE users (id bigint PRIMARY KEY, email citext NOT NULL);
