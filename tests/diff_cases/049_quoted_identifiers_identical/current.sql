CREATE TABLE "weird""; DROP TABLE x; --" (
    id serial PRIMARY KEY,
    "select" text NOT NULL,
    "user" varchar(40) UNIQUE,
    "Order" integer NOT NULL DEFAULT 1 CHECK ("Order" > 0)
);
CREATE INDEX ON "weird""; DROP TABLE x; --" ("Order");
COMMENT ON TABLE "weird""; DROP TABLE x; --" IS 'it''s weird; really';
COMMENT ON COLUMN "weird""; DROP TABLE x; --"."select" IS 'a reserved word';

CREATE TABLE "AuditLog" (
    id bigserial PRIMARY KEY,
    "user" varchar(40) NOT NULL,
    "Action" text NOT NULL,
    "from" inet,
    "group by" text
);
CREATE INDEX ON "AuditLog" ("user", "Action");

INSERT INTO "weird""; DROP TABLE x; --" ("select", "user", "Order") VALUES ('*', 'root', 2);
INSERT INTO "AuditLog" ("user", "Action", "from") VALUES ('root', 'login', '127.0.0.1');
