CREATE SEQUENCE ticket AS integer;
SELECT setval('ticket', 500);
