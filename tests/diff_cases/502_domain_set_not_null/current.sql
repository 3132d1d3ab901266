CREATE DOMAIN label AS text;
CREATE TABLE tags (
    id bigint PRIMARY KEY,
    name label
);
INSERT INTO tags VALUES (1, 'a'), (2, 'b');
