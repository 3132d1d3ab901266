CREATE TABLE departments (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE,
    head_employee_id integer
);

CREATE TABLE staff (
    id serial PRIMARY KEY,
    full_name varchar(120) NOT NULL,
    department_id integer REFERENCES departments (id)
);

ALTER TABLE departments ADD FOREIGN KEY (head_employee_id) REFERENCES staff (id) ON DELETE SET NULL;

INSERT INTO departments (name) VALUES ('Engineering');
INSERT INTO staff (full_name, department_id) VALUES ('Margaret Hamilton', 1);
UPDATE departments SET head_employee_id = 1 WHERE id = 1;
