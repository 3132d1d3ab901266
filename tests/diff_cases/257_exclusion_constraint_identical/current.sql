CREATE TABLE bookings (id bigint PRIMARY KEY, room integer NOT NULL, during tstzrange NOT NULL, EXCLUDE USING gist (during WITH &&) WHERE (room > 0));
ALTER TABLE bookings RENAME CONSTRAINT bookings_during_excl TO bookings_no_overlap;
