CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE
);
INSERT INTO users (email) VALUES ('ana@example.com');

CREATE TABLE sessions_backup (
    id bigint PRIMARY KEY,
    user_id integer,
    token text NOT NULL
);
INSERT INTO sessions_backup VALUES (1, 1, 'a1b2'), (2, 1, 'c3d4');
