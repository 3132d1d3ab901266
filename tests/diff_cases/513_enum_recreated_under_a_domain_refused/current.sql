CREATE TYPE level AS ENUM ('low', 'high');
CREATE DOMAIN priority AS level;
CREATE TYPE task_info AS (lvl level, note text);
CREATE TABLE tasks (id bigint PRIMARY KEY, lvl level);
