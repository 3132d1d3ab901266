CREATE SCHEMA archive;
CREATE TABLE archive.notes (id bigint PRIMARY KEY, note text);
CREATE TABLE archive.legacy (id bigint PRIMARY KEY);
CREATE TABLE legacy (id bigint PRIMARY KEY, note text);
