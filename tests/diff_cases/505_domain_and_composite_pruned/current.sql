CREATE TYPE old_state AS ENUM ('on', 'off');
CREATE DOMAIN old_flag AS old_state;
CREATE TYPE old_pair AS (a old_flag, b integer);
CREATE TABLE users (id bigint PRIMARY KEY);
