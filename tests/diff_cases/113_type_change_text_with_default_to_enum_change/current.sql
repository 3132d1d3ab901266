CREATE TYPE user_role AS ENUM ('viewer', 'editor');
CREATE TABLE users (
    id integer PRIMARY KEY,
    role text NOT NULL DEFAULT 'viewer'
);
INSERT INTO users VALUES (1, 'viewer'), (2, 'editor');
