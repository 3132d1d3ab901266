//! `tableform::import::sql::from_sql`: SQL DDL (pg_dump output and hand-written) -> the model.

use std::path::Path;

use tableform::import::sql::{SqlImport, SqlImportError, from_sql};
use tableform::model::{
    BaseType, ColumnDefault, DataType, FkAction, Identity, IndexPart, OwnedBy, QualName, Schema,
    Sequence, SequenceOptions, Table,
};

fn q(name: &str) -> QualName {
    match name.split_once('.') {
        Some((s, n)) => QualName::new(s, n),
        None => QualName::new("public", name),
    }
}

fn import(sql: &str) -> SqlImport {
    from_sql(sql).unwrap_or_else(|e| panic!("import failed: {e}"))
}

fn table<'a>(s: &'a Schema, name: &str) -> &'a Table {
    s.tables
        .get(&q(name))
        .unwrap_or_else(|| panic!("no table {name}; have {:?}", s.tables.keys()))
}

fn ty(s: &str) -> DataType {
    DataType::parse(s).unwrap()
}

/// Two tables are the same, defaults compared as PostgreSQL would see them.
fn assert_same_table(a: &Table, b: &Table) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.columns.len(), b.columns.len(), "columns of {}", a.name);
    for (x, y) in a.columns.iter().zip(&b.columns) {
        assert_eq!(x.name, y.name, "{}", a.name);
        assert_eq!(x.ty, y.ty, "{}.{}", a.name.name, x.name);
        assert_eq!(
            x.nullable, y.nullable,
            "{}.{} nullable",
            a.name.name, x.name
        );
        assert_eq!(
            x.identity, y.identity,
            "{}.{} identity",
            a.name.name, x.name
        );
        assert_eq!(x.comment, y.comment, "{}.{} comment", a.name.name, x.name);
        match (&x.default, &y.default) {
            (Some(ColumnDefault::Expr(d1)), Some(ColumnDefault::Expr(d2))) => assert!(
                d1.equivalent(d2, Some(&x.ty)),
                "{}.{} default: {} vs {}",
                a.name.name,
                x.name,
                d1.sql,
                d2.sql
            ),
            (d1, d2) => assert_eq!(d1, d2, "{}.{} default", a.name.name, x.name),
        }
    }
    assert_eq!(a.primary_key, b.primary_key, "{} primary key", a.name);
    assert_eq!(a.uniques, b.uniques, "{} uniques", a.name);
    assert_eq!(a.foreign_keys, b.foreign_keys, "{} foreign keys", a.name);
    assert_eq!(a.checks, b.checks, "{} checks", a.name);
    assert_eq!(a.indexes, b.indexes, "{} indexes", a.name);
    assert_eq!(a.comment, b.comment, "{} comment", a.name);
}

#[test]
fn reference_file_matches_the_toml_declaration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sql =
        std::fs::read_to_string(root.join("tests/fixtures/shopping_points_v0_2.sql")).unwrap();
    let imported = import(&sql);
    assert!(
        imported.skipped.is_empty(),
        "nothing should be skipped: {:?}",
        imported.skipped
    );
    let loaded = tableform::load::load_dir(&root.join("schemas/shopping_points"))
        .unwrap_or_else(|e| panic!("{e}"))
        .schema;
    let s = &imported.schema;
    assert_eq!(s.tables.len(), 17);
    assert_eq!(
        s.tables.keys().collect::<Vec<_>>(),
        loaded.tables.keys().collect::<Vec<_>>()
    );
    for (name, t) in &loaded.tables {
        assert_same_table(&s.tables[name], t);
    }
    assert_eq!(s.enums, loaded.enums);
    assert_eq!(s.sequences, loaded.sequences);
    assert_eq!(s.schemas, loaded.schemas);

    // A few names PostgreSQL picks, spelled out.
    let sv = table(s, "shop_variants");
    assert_eq!(sv.primary_key.as_ref().unwrap().name, "shop_variants_pkey");
    assert_eq!(sv.uniques[0].name, "shop_variants_source_source_id_key");
    assert_eq!(sv.foreign_keys[0].name, "shop_variants_shop_main_id_fkey");
    let users = table(s, "users");
    assert_eq!(
        users
            .uniques
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["users_username_key", "users_email_key"]
    );
    assert_eq!(
        users.column("id").unwrap().default,
        Some(ColumnDefault::Serial { sequence: None })
    );
    assert!(!users.column("id").unwrap().nullable);
    let jobs = table(s, "scheduled_jobs");
    assert!(jobs.indexes[0].unique);
    assert_eq!(jobs.indexes[0].name, "ix_scheduled_jobs_job_name");
    assert_eq!(table(s, "scrape_logs").columns[1].name, "timestamp");
}

/// What `pg_dump --schema-only` of PostgreSQL 15 prints for a small schema.
const PG_DUMP: &str = r#"--
-- PostgreSQL database dump
--

\restrict 8hJm0cXyQv1eTq3cDfQj5a9Ugq2Zr1P6

-- Dumped from database version 15.8
-- Dumped by pg_dump version 15.8

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: mood; Type: TYPE; Schema: public; Owner: app
--

CREATE TYPE public.mood AS ENUM (
    'sad',
    'ok',
    'happy'
);


ALTER TYPE public.mood OWNER TO app;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: authors; Type: TABLE; Schema: public; Owner: app
--

CREATE TABLE public.authors (
    id integer NOT NULL,
    name character varying(100) NOT NULL,
    email text,
    mood public.mood DEFAULT 'ok'::public.mood NOT NULL,
    created_at timestamp without time zone DEFAULT now() NOT NULL,
    CONSTRAINT authors_name_check CHECK ((length((name)::text) > 0))
);


ALTER TABLE public.authors OWNER TO app;

--
-- Name: COLUMN authors.email; Type: COMMENT; Schema: public; Owner: app
--

COMMENT ON COLUMN public.authors.email IS 'where to write';


--
-- Name: authors_id_seq; Type: SEQUENCE; Schema: public; Owner: app
--

CREATE SEQUENCE public.authors_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.authors_id_seq OWNER TO app;

--
-- Name: authors_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: app
--

ALTER SEQUENCE public.authors_id_seq OWNED BY public.authors.id;


--
-- Name: books; Type: TABLE; Schema: public; Owner: app
--

CREATE TABLE public.books (
    id bigint NOT NULL,
    author_id integer NOT NULL,
    title text NOT NULL,
    tags text[] DEFAULT '{}'::text[],
    price numeric(10,2)
);


ALTER TABLE public.books OWNER TO app;

--
-- Name: TABLE books; Type: COMMENT; Schema: public; Owner: app
--

COMMENT ON TABLE public.books IS 'Books, one row per edition';


--
-- Name: books_id_seq; Type: SEQUENCE; Schema: public; Owner: app
--

CREATE SEQUENCE public.books_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.books_id_seq OWNER TO app;

ALTER SEQUENCE public.books_id_seq OWNED BY public.books.id;


--
-- Name: events; Type: TABLE; Schema: public; Owner: app
--

CREATE TABLE public.events (
    id bigint NOT NULL,
    kind text NOT NULL
);


ALTER TABLE public.events OWNER TO app;

ALTER TABLE public.events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: invoice_numbers; Type: SEQUENCE; Schema: public; Owner: app
--

CREATE SEQUENCE public.invoice_numbers
    START WITH 1000
    INCREMENT BY 10
    NO MINVALUE
    MAXVALUE 999999
    CACHE 5;


ALTER TABLE public.invoice_numbers OWNER TO app;

--
-- Name: authors id; Type: DEFAULT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.authors ALTER COLUMN id SET DEFAULT nextval('public.authors_id_seq'::regclass);


--
-- Name: books id; Type: DEFAULT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.books ALTER COLUMN id SET DEFAULT nextval('public.books_id_seq'::regclass);


--
-- Name: authors authors_email_key; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT authors_email_key UNIQUE (email);


--
-- Name: authors authors_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT authors_pkey PRIMARY KEY (id);


--
-- Name: books books_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.books
    ADD CONSTRAINT books_pkey PRIMARY KEY (id);


ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);


--
-- Name: books_lower_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX books_lower_idx ON public.books USING btree (lower(title));


--
-- Name: books_recent_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE UNIQUE INDEX books_recent_idx ON public.books USING btree (author_id, title DESC NULLS LAST) WHERE (price IS NOT NULL);


CREATE INDEX books_tags_idx ON public.books USING gin (tags);


--
-- Name: books books_author_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.books
    ADD CONSTRAINT books_author_id_fkey FOREIGN KEY (author_id) REFERENCES public.authors(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict 8hJm0cXyQv1eTq3cDfQj5a9Ugq2Zr1P6

"#;

#[test]
fn pg_dump_output_gives_serial_columns_and_no_owned_sequences() {
    let imp = import(PG_DUMP);
    assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
    let s = &imp.schema;
    assert_eq!(s.schemas.iter().collect::<Vec<_>>(), ["public"]);
    assert_eq!(s.tables.len(), 3);

    let authors = table(s, "authors");
    let id = authors.column("id").unwrap();
    assert_eq!(id.ty, ty("integer"));
    assert!(!id.nullable);
    assert_eq!(
        id.default,
        Some(ColumnDefault::Serial {
            sequence: Some("authors_id_seq".into())
        })
    );
    assert_eq!(
        authors.column("mood").unwrap().ty.base,
        BaseType::Named(q("mood"))
    );
    match &authors.column("mood").unwrap().default {
        Some(ColumnDefault::Expr(e)) => assert_eq!(e.sql, "'ok'::public.mood"),
        other => panic!("{other:?}"),
    }
    match &authors.column("created_at").unwrap().default {
        Some(ColumnDefault::Expr(e)) => assert_eq!(e.sql, "now()"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        authors.column("email").unwrap().comment.as_deref(),
        Some("where to write")
    );
    assert_eq!(authors.checks.len(), 1);
    assert_eq!(authors.checks[0].name, "authors_name_check");
    assert_eq!(authors.checks[0].expr.sql, "length((name)::text) > 0");
    assert_eq!(authors.primary_key.as_ref().unwrap().name, "authors_pkey");
    assert_eq!(authors.uniques[0].name, "authors_email_key");
    assert_eq!(authors.uniques[0].columns, ["email"]);

    let books = table(s, "books");
    assert_eq!(books.comment.as_deref(), Some("Books, one row per edition"));
    let id = books.column("id").unwrap();
    assert_eq!(id.ty, ty("bigint"));
    assert_eq!(
        id.default,
        Some(ColumnDefault::Serial {
            sequence: Some("books_id_seq".into())
        })
    );
    assert_eq!(books.column("tags").unwrap().ty, ty("text[]"));
    match &books.column("tags").unwrap().default {
        Some(ColumnDefault::Expr(e)) => assert_eq!(e.sql, "'{}'::text[]"),
        other => panic!("{other:?}"),
    }
    assert_eq!(books.indexes.len(), 3);
    let lower = &books.indexes[0];
    assert_eq!(lower.name, "books_lower_idx");
    assert_eq!(lower.method, "btree");
    assert!(matches!(&lower.keys[0].part, IndexPart::Expr(e) if e.sql == "lower(title)"));
    let recent = &books.indexes[1];
    assert!(recent.unique);
    assert_eq!(recent.keys[0].part, IndexPart::Column("author_id".into()));
    assert!(recent.keys[1].descending);
    // DESC NULLS LAST is not the default for DESC, so it is kept.
    assert_eq!(recent.keys[1].nulls_first, Some(false));
    assert_eq!(recent.predicate.as_ref().unwrap().sql, "price IS NOT NULL");
    assert_eq!(books.indexes[2].method, "gin");
    let fk = &books.foreign_keys[0];
    assert_eq!(fk.name, "books_author_id_fkey");
    assert_eq!(fk.ref_table, q("authors"));
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(fk.on_delete, FkAction::Cascade);
    assert_eq!(fk.on_update, FkAction::NoAction);

    let events = table(s, "events");
    let id = events.column("id").unwrap();
    assert_eq!(id.identity, Some(Identity::Always));
    assert_eq!(id.default, None);
    assert!(!id.nullable);

    // The serial sequences belong to their columns; only the standalone one is a sequence.
    assert_eq!(
        s.sequences.keys().collect::<Vec<_>>(),
        [&q("invoice_numbers")]
    );
    assert_eq!(
        s.sequences[&q("invoice_numbers")],
        Sequence {
            name: q("invoice_numbers"),
            data_type: ty("bigint"),
            options: SequenceOptions {
                start: 1000,
                increment: 10,
                min_value: 1,
                max_value: 999999,
                cache: 5,
                cycle: false,
            },
            comment: None,
            owned_by: None,
        }
    );
    assert_eq!(s.enums[&q("mood")].values, ["sad", "ok", "happy"]);
}

#[test]
fn enums_and_standalone_sequences() {
    let imp = import(
        "CREATE SCHEMA billing;
         CREATE TYPE billing.status AS ENUM ('open', 'paid');
         CREATE SEQUENCE billing.invoice_no;
         CREATE SEQUENCE countdown AS integer INCREMENT BY -1 CYCLE;
         CREATE SEQUENCE tiny AS smallint START 5 MINVALUE 5 MAXVALUE 100 CACHE 10;
         CREATE TABLE billing.invoices (
             no bigint PRIMARY KEY DEFAULT nextval('billing.invoice_no'),
             state billing.status NOT NULL DEFAULT 'open',
             history billing.status[]
         );
         ALTER TYPE billing.status ADD VALUE 'void' BEFORE 'paid';",
    );
    assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
    let s = &imp.schema;
    assert_eq!(s.schemas.iter().collect::<Vec<_>>(), ["billing", "public"]);
    assert_eq!(
        s.enums[&q("billing.status")].values,
        ["open", "void", "paid"]
    );
    let inv = table(s, "billing.invoices");
    assert_eq!(
        inv.column("state").unwrap().ty,
        DataType {
            base: BaseType::Named(q("billing.status")),
            array: false
        }
    );
    assert_eq!(
        inv.column("history").unwrap().ty,
        DataType {
            base: BaseType::Named(q("billing.status")),
            array: true
        }
    );
    // Not owned by the column: a plain default and a standalone sequence.
    assert!(matches!(
        &inv.column("no").unwrap().default,
        Some(ColumnDefault::Expr(e)) if e.sql == "nextval('billing.invoice_no')"
    ));
    assert_eq!(
        s.sequences[&q("billing.invoice_no")],
        Sequence {
            name: q("billing.invoice_no"),
            data_type: ty("bigint"),
            options: SequenceOptions {
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: i64::MAX,
                cache: 1,
                cycle: false,
            },
            comment: None,
            owned_by: None,
        }
    );
    assert_eq!(
        s.sequences[&q("countdown")],
        Sequence {
            name: q("countdown"),
            data_type: ty("integer"),
            options: SequenceOptions {
                start: -1,
                increment: -1,
                min_value: i64::from(i32::MIN),
                max_value: -1,
                cache: 1,
                cycle: true,
            },
            comment: None,
            owned_by: None,
        }
    );
    let tiny = &s.sequences[&q("tiny")];
    assert_eq!(
        (
            tiny.options.start,
            tiny.options.min_value,
            tiny.options.max_value,
            tiny.options.cache
        ),
        (5, 5, 100, 10)
    );
    assert_eq!(tiny.data_type, ty("smallint"));
}

#[test]
fn unmanaged_objects_are_listed_with_their_lines() {
    let sql = "CREATE TABLE t (id serial PRIMARY KEY, n int);

CREATE VIEW v AS
    SELECT id FROM t;

CREATE FUNCTION bump() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.n := NEW.n + 1; -- a semicolon inside the body
    RETURN NEW;
END;
$$;

CREATE TRIGGER t_bump BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION bump();
CREATE MATERIALIZED VIEW mv AS SELECT 1 WITH NO DATA;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
GRANT SELECT ON TABLE t TO reader;
CREATE POLICY p ON t USING (true);
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE FUNCTION add(a integer, b integer) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
        SELECT a + b;
    END;
CREATE INDEX t_n_idx ON t (n);
";
    let imp = import(sql);
    let got: Vec<(usize, &str)> = imp
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "views are not managed"),
            (6, "functions are not managed"),
            (15, "triggers are not managed"),
            (16, "materialized views are not managed"),
            (17, "extensions are not managed"),
            (18, "privileges are not managed"),
            (19, "row-level security policies are not managed"),
            (20, "domains are not managed"),
            (21, "functions are not managed"),
        ]
    );
    assert_eq!(
        imp.skipped[0].statement,
        "CREATE VIEW v AS SELECT id FROM t"
    );
    assert!(
        imp.skipped[1]
            .statement
            .starts_with("CREATE FUNCTION bump()")
    );
    assert!(imp.skipped[1].statement.chars().count() <= 60);
    // The statements around them are imported.
    let t = table(&imp.schema, "t");
    assert_eq!(t.indexes[0].name, "t_n_idx");
}

#[test]
fn noise_is_ignored_silently() {
    let sql = "\\set ON_ERROR_STOP on
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
BEGIN;
/* a block /* nested */ comment */
CREATE TABLE public.t (id integer NOT NULL, note text);
ALTER TABLE public.t OWNER TO someone;
ALTER TABLE ONLY public.t ALTER COLUMN note SET STATISTICS 500;
ALTER TABLE public.t CLUSTER ON t_pkey;
ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);
ALTER SCHEMA public OWNER TO someone;
COPY public.t (id, note) FROM stdin;
1\tit's; not SQL
2\t\\N
\\.
SELECT pg_catalog.setval('public.t_id_seq', 42, true);
INSERT INTO public.t VALUES (3, 'x;y');
COMMIT;
ANALYZE public.t;
";
    let imp = import(sql);
    assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
    let t = table(&imp.schema, "t");
    assert_eq!(t.primary_key.as_ref().unwrap().name, "t_pkey");
    assert_eq!(t.columns.len(), 2);
}

#[test]
fn quoted_identifiers_keep_their_case() {
    let imp = import(
        r#"CREATE SCHEMA "Sales";
        CREATE TYPE "Sales"."Tier" AS ENUM ('Gold', 'Silver');
        CREATE TABLE "Sales"."Customers" (
            "Id" SERIAL PRIMARY KEY,
            "FullName" TEXT NOT NULL,
            Plain TEXT,
            "tier" "Sales"."Tier",
            UNIQUE ("FullName")
        );
        CREATE TABLE Sales.Orders (Customer_Id INT REFERENCES "Sales"."Customers");
        CREATE INDEX ON "Sales"."Customers" (lower("FullName"));"#,
    );
    assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
    let s = &imp.schema;
    assert_eq!(s.schemas.iter().collect::<Vec<_>>(), ["Sales", "sales"]);
    let c = table(s, "Sales.Customers");
    let names: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Id", "FullName", "plain", "tier"]);
    assert_eq!(c.primary_key.as_ref().unwrap().name, "Customers_pkey");
    assert_eq!(c.uniques[0].name, "Customers_FullName_key");
    assert_eq!(c.indexes[0].name, "Customers_lower_idx");
    assert_eq!(
        c.column("tier").unwrap().ty.base,
        BaseType::Named(q("Sales.Tier"))
    );
    // Unquoted names fold to lower case: a different schema and table.
    let o = table(s, "sales.orders");
    assert_eq!(o.columns[0].name, "customer_id");
    assert_eq!(o.foreign_keys[0].name, "orders_customer_id_fkey");
    assert_eq!(o.foreign_keys[0].ref_table, q("Sales.Customers"));
    // `REFERENCES t` means its primary key.
    assert_eq!(o.foreign_keys[0].ref_columns, ["Id"]);
}

/// Every name below is the one PostgreSQL 15 gave when this SQL was run against it.
#[test]
fn hand_written_constraints_get_postgres_default_names() {
    let imp = import(
        "CREATE TABLE parent (a int, b int, PRIMARY KEY (a, b));
         CREATE TABLE child (
             id bigserial PRIMARY KEY,
             pa int,
             pb int,
             qty int CHECK (qty > 0),
             lo int,
             hi int,
             c int CHECK (c > lo),
             code text UNIQUE,
             CHECK (lo < hi),
             CONSTRAINT named_check CHECK (hi < 100),
             CHECK (qty < 1000),
             FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE SET NULL ON UPDATE CASCADE
                 DEFERRABLE INITIALLY DEFERRED,
             UNIQUE (pa, pb)
         );
         ALTER TABLE child ADD UNIQUE (code);
         ALTER TABLE child ADD CHECK (lo >= 0);
         CREATE INDEX ON child (pa);
         CREATE INDEX ON child (pa);
         CREATE INDEX ON child ((lo + hi), lower(code), lower(code));
         CREATE INDEX ON child (pa) INCLUDE (pb);
         CREATE UNIQUE INDEX ON child (hi);
         CREATE INDEX ON child ((code::varchar), (qty::text), (lo::numeric + 1), (coalesce(pa, 0)),
             (CASE WHEN pa > 0 THEN 1 END));
         CREATE TABLE \"Up\" (\"A\" int CHECK (\"A\" > 0), b int REFERENCES child, UNIQUE (\"A\", b));",
    );
    let reasons: Vec<&str> = imp.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["INCLUDE columns of indexes are not managed"]);
    let c = table(&imp.schema, "child");
    let id = c.column("id").unwrap();
    assert_eq!(id.ty, ty("bigint"));
    assert_eq!(id.default, Some(ColumnDefault::Serial { sequence: None }));
    let checks: Vec<(&str, &str)> = c
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.expr.sql.as_str()))
        .collect();
    assert_eq!(
        checks,
        [
            ("child_qty_check", "qty > 0"),
            // A check is named after its column only when it mentions exactly one.
            ("child_check", "c > lo"),
            ("child_check1", "lo < hi"),
            ("named_check", "hi < 100"),
            ("child_qty_check1", "qty < 1000"),
            ("child_lo_check", "lo >= 0"),
        ]
    );
    let uniques: Vec<&str> = c.uniques.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        uniques,
        ["child_code_key", "child_pa_pb_key", "child_code_key1"]
    );
    let fk = &c.foreign_keys[0];
    assert_eq!(fk.name, "child_pa_pb_fkey");
    assert_eq!(fk.columns, ["pa", "pb"]);
    assert_eq!(fk.ref_columns, ["a", "b"]);
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::SetNull, FkAction::Cascade)
    );
    assert!(fk.deferrable && fk.initially_deferred);
    let indexes: Vec<&str> = c.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        indexes,
        [
            "child_pa_idx",
            "child_pa_idx1",
            "child_expr_lower_lower1_idx",
            "child_pa_pb_idx",
            "child_hi_idx",
            "child_code_qty_expr_coalesce_case_idx",
        ]
    );
    let up = table(&imp.schema, "Up");
    assert_eq!(up.checks[0].name, "Up_A_check");
    assert_eq!(up.uniques[0].name, "Up_A_b_key");
    assert_eq!(up.foreign_keys[0].name, "Up_b_fkey");
    assert_eq!(up.foreign_keys[0].ref_columns, ["id"]);
    let parent = table(&imp.schema, "parent");
    assert_eq!(parent.primary_key.as_ref().unwrap().columns, ["a", "b"]);
    assert!(parent.columns.iter().all(|c| !c.nullable));
}

#[test]
fn a_statement_that_cannot_be_read_is_skipped() {
    let sql = "CREATE TABLE a (id int PRIMARY KEY);
CREATE TABLE b (id int PRIMARY KEY,, oops);
CREATE TABLE c (id int PRIMARY KEY);
";
    let imp = import(sql);
    assert_eq!(imp.skipped.len(), 1);
    assert_eq!(imp.skipped[0].line, 2);
    assert!(
        imp.skipped[0].reason.contains("line 2, column 36"),
        "{}",
        imp.skipped[0].reason
    );
    let names: Vec<&str> = imp.schema.tables.keys().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn a_file_that_is_not_sql_is_an_error() {
    let toml = "[table.users]\ncolumns = [ { name = \"id\", type = \"serial\" } ]\n";
    match from_sql(toml) {
        Err(SqlImportError::NotSql { line, .. }) => assert_eq!(line, 1),
        Ok(i) => panic!("read as SQL: {:?}", i.schema),
    }
    assert!(from_sql("hello world, this is prose.\nNothing to see.").is_err());
    // An empty file (or only comments) is an empty schema.
    let empty = from_sql("-- nothing here\n").unwrap();
    assert!(empty.schema.tables.is_empty() && empty.skipped.is_empty());
}

#[test]
fn identity_columns_and_alter_table_changes() {
    let imp = import(
        "SET search_path TO app, public;
         CREATE SCHEMA app;
         CREATE TABLE items (
             id int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
             name varchar(20),
             old text,
             price numeric(8,2) COLLATE \"C\"
         );
         ALTER TABLE items ADD COLUMN sku text NOT NULL, DROP COLUMN old;
         ALTER TABLE items ALTER COLUMN name TYPE varchar(50), ALTER name SET NOT NULL;
         ALTER TABLE items ALTER COLUMN id SET GENERATED ALWAYS;
         ALTER TABLE items RENAME COLUMN sku TO code;
         CREATE UNIQUE INDEX items_code ON items (code);
         ALTER TABLE items ADD CONSTRAINT items_code_key UNIQUE USING INDEX items_code;
         ALTER TABLE items ENABLE ROW LEVEL SECURITY;",
    );
    let reasons: Vec<&str> = imp.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("column collations are not managed"));
    assert_eq!(reasons[1], "row-level security is not managed");
    let t = table(&imp.schema, "app.items");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "price", "code"]);
    let id = t.column("id").unwrap();
    assert_eq!(id.identity, Some(Identity::Always));
    assert!(!id.nullable);
    let name = t.column("name").unwrap();
    assert_eq!(name.ty, ty("varchar(50)"));
    assert!(!name.nullable);
    assert!(t.indexes.is_empty());
    assert_eq!(t.uniques[0].name, "items_code_key");
    assert_eq!(t.uniques[0].columns, ["code"]);
}

#[test]
fn comments_and_escaped_strings() {
    let imp = import(
        "CREATE TABLE t (a int, b text DEFAULT E'it\\'s; fine');
         COMMENT ON TABLE t IS 'The table; with a semicolon';
         COMMENT ON COLUMN t.a IS E'line one\\nline two';
         COMMENT ON COLUMN t.b IS 'first';
         COMMENT ON COLUMN t.b IS NULL;
         COMMENT ON INDEX some_index IS 'x';",
    );
    let t = table(&imp.schema, "t");
    assert_eq!(t.comment.as_deref(), Some("The table; with a semicolon"));
    assert_eq!(
        t.column("a").unwrap().comment.as_deref(),
        Some("line one\nline two")
    );
    assert_eq!(t.column("b").unwrap().comment, None);
    assert_eq!(imp.skipped.len(), 1);
    assert_eq!(imp.skipped[0].reason, "comments on indexes are not managed");
    assert_eq!(imp.skipped[0].line, 6);
}

/// `pg_dump --clean --if-exists` and migration SQL (Alembic's `--sql` output): drops, renames
/// and data statements.
#[test]
fn clean_dumps_and_migration_sql() {
    let sql = "DROP INDEX IF EXISTS public.users_email_idx;
ALTER TABLE IF EXISTS ONLY public.orders DROP CONSTRAINT IF EXISTS orders_user_id_fkey;
DROP TABLE IF EXISTS public.orders;
DROP SEQUENCE IF EXISTS public.orders_id_seq;
DROP TYPE IF EXISTS public.mood;
DROP EXTENSION IF EXISTS pgcrypto;
DROP SCHEMA IF EXISTS public;
BEGIN;
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
-- Running upgrade  -> 1a2b
CREATE TABLE users (id SERIAL NOT NULL, email VARCHAR, PRIMARY KEY (id));
CREATE INDEX ix_users_email ON users (email);
CREATE TABLE orders (id SERIAL NOT NULL, user_id INTEGER, total NUMERIC, PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id));
INSERT INTO alembic_version (version_num) VALUES ('1a2b') RETURNING alembic_version.version_num;
-- Running upgrade 1a2b -> 3c4d
ALTER TABLE users RENAME TO people;
ALTER TABLE people RENAME COLUMN email TO mail;
ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
CREATE INDEX ix_orders_total ON orders (total) WHERE total > 0;
ALTER TABLE orders RENAME COLUMN total TO amount;
CREATE TABLE audit (order_id INTEGER REFERENCES later (id));
DROP INDEX ix_users_email;
UPDATE alembic_version SET version_num='3c4d' WHERE alembic_version.version_num = '1a2b';
COMMIT;
";
    let imp = import(sql);
    let got: Vec<(usize, &str)> = imp
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [(
            21,
            "a foreign key of public.audit references public.later, which is not created before it in this file"
        )]
    );
    let s = &imp.schema;
    let names: Vec<&str> = s.tables.keys().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["alembic_version", "audit", "orders", "people"]);
    let people = table(s, "people");
    assert_eq!(people.columns[1].name, "mail");
    assert!(people.indexes.is_empty());
    // Renaming a table keeps its constraint names, as in PostgreSQL.
    assert_eq!(people.primary_key.as_ref().unwrap().name, "users_pkey");
    let orders = table(s, "orders");
    assert_eq!(orders.foreign_keys[0].ref_table, q("people"));
    assert_eq!(orders.checks[0].expr.sql, "amount >= 0");
    assert_eq!(
        orders.indexes[0].keys[0].part,
        IndexPart::Column("amount".into())
    );
    assert_eq!(
        orders.indexes[0].predicate.as_ref().unwrap().sql,
        "amount > 0"
    );
}

#[test]
fn a_sequence_owned_by_a_column_that_is_not_its_default_is_a_standalone_owned_sequence() {
    let imp = import(
        "CREATE TABLE orders (id serial, number bigint);
         CREATE SEQUENCE order_number START 1000;
         ALTER SEQUENCE order_number OWNED BY public.orders.number;",
    );
    assert!(imp.skipped.is_empty(), "{:?}", imp.skipped);
    let s = &imp.schema;
    // The serial's sequence belongs to its column; the other one is declared, with its owner.
    assert_eq!(s.sequences.keys().collect::<Vec<_>>(), [&q("order_number")]);
    assert_eq!(
        s.sequences[&q("order_number")].owned_by,
        Some(OwnedBy {
            table: q("orders"),
            column: "number".into(),
        })
    );
    assert!(matches!(
        table(s, "orders").column("id").unwrap().default,
        Some(ColumnDefault::Serial { .. })
    ));
    assert_eq!(table(s, "orders").column("number").unwrap().default, None);
}
