CREATE TYPE state AS ENUM ('new', 'sent');
CREATE TABLE boxes (id integer PRIMARY KEY, weight integer CONSTRAINT positive CHECK (weight > 0), state state NOT NULL);
CREATE INDEX w_idx ON boxes (weight);
INSERT INTO boxes VALUES (1, 5, 'sent'), (2, NULL, 'new');
