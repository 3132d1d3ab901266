CREATE TABLE imports (
    id serial PRIMARY KEY,
    line_count text
);
INSERT INTO imports (line_count) VALUES ('42'), ('1337'), (NULL);
