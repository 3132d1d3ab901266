CREATE TABLE marker ();
INSERT INTO marker DEFAULT VALUES;
COMMENT ON TABLE marker IS 'Exists, holds nothing';
