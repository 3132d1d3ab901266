CREATE TABLE contacts (
    id serial PRIMARY KEY,
    email varchar(255),
    phone varchar(32)
);
INSERT INTO contacts (email, phone) VALUES ('a@example.com', NULL), (NULL, '+49 30 1234'), (NULL, NULL);
