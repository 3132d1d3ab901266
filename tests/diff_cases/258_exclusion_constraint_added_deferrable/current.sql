CREATE TABLE bookings (id bigint PRIMARY KEY, room integer NOT NULL, during tstzrange NOT NULL);
INSERT INTO bookings VALUES (1, 1, '[2026-01-01, 2026-01-02)');
