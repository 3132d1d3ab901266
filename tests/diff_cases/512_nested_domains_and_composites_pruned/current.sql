CREATE TYPE z_state AS ENUM ('on', 'off');
CREATE DOMAIN z_flag AS z_state;
CREATE TYPE y_pair AS (a z_flag, b integer);
CREATE DOMAIN a_checked_pair AS y_pair CHECK ((VALUE).b > 0);
CREATE TYPE b_wrapper AS (p a_checked_pair);
CREATE TABLE users (id bigint PRIMARY KEY);
