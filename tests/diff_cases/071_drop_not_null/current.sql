CREATE TABLE contacts (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL,
    phone varchar(32)
);
INSERT INTO contacts (email, phone) VALUES ('a@example.com', NULL), ('b@example.com', '+49 30 1234');
