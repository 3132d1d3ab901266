CREATE TABLE devices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    active boolean NOT NULL DEFAULT true,
    last_ip inet,
    firmware bytea,
    capabilities json,
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    labels text[] NOT NULL DEFAULT '{}',
    port_numbers int[]
);
INSERT INTO devices (last_ip, firmware, capabilities, labels, port_numbers)
VALUES ('10.0.0.12', '\xdeadbeef', '{"wifi": true}', '{kitchen,floor-1}', '{80,443}');
