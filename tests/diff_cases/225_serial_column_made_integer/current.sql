CREATE TABLE tickets (id serial PRIMARY KEY, subject text NOT NULL);
INSERT INTO tickets (subject) VALUES ('Printer on fire'), ('VPN down');
