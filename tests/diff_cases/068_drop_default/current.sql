CREATE TABLE memberships (
    id serial PRIMARY KEY,
    user_id integer NOT NULL,
    role varchar(20) NOT NULL DEFAULT 'viewer'
);
INSERT INTO memberships (user_id, role) VALUES (1, 'owner'), (2, 'viewer');
