CREATE TYPE ticket_priority AS ENUM ('low', 'normal', 'high');
CREATE TABLE tickets (
    id serial PRIMARY KEY,
    subject text NOT NULL
);
INSERT INTO tickets (subject) VALUES ('Printer on fire');
