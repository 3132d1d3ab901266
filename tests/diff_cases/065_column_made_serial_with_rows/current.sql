CREATE TABLE tickets (
    id integer PRIMARY KEY,
    subject text NOT NULL
);
INSERT INTO tickets VALUES (1, 'Printer on fire'), (2, 'VPN down');
