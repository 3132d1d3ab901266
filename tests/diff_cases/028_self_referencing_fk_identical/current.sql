CREATE TABLE categories (
    id serial PRIMARY KEY,
    parent_id integer REFERENCES categories (id) ON DELETE CASCADE,
    name varchar(80) NOT NULL,
    slug varchar(80) NOT NULL UNIQUE
);

CREATE TABLE employees (
    id serial PRIMARY KEY,
    manager_id integer REFERENCES employees ON DELETE SET NULL,
    full_name text NOT NULL
);
CREATE INDEX ON employees (manager_id);

INSERT INTO categories (parent_id, name, slug) VALUES (NULL, 'Kitchen', 'kitchen'), (1, 'Mugs', 'mugs');
INSERT INTO employees (manager_id, full_name) VALUES (NULL, 'Grace Hopper'), (1, 'Alan Turing');
