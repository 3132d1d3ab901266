CREATE TYPE level AS ENUM ('low', 'high');
CREATE DOMAIN priority AS level DEFAULT 'low';
CREATE TABLE tasks (id bigint PRIMARY KEY, lvl level);
