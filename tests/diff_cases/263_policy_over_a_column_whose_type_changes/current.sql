CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id integer NOT NULL);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents USING (tenant_id = current_setting('app.tenant_id')::integer);
INSERT INTO documents VALUES (1, 7);
