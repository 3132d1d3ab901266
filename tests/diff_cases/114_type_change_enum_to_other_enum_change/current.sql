CREATE TYPE old_state AS ENUM ('open', 'closed');
CREATE TYPE ticket_state AS ENUM ('open', 'closed', 'archived');
CREATE TABLE tickets (
    id integer PRIMARY KEY,
    state old_state NOT NULL DEFAULT 'open'
);
INSERT INTO tickets VALUES (1, 'open'), (2, 'closed');
