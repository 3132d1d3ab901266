CREATE TABLE bookings (id bigint PRIMARY KEY, room integer NOT NULL, during tstzrange NOT NULL,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&),
  CONSTRAINT bookings_other EXCLUDE USING gist (during WITH =));
