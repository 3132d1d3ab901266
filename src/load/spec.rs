//! The keys of the schema format: what each section accepts, of which kind, and what it means.
//!
//! The loader reads exactly these keys (anything else is reported as unknown, with the closest
//! one as a hint), and [`json_schema`] turns the same tables into the JSON Schema that editors use
//! to complete and check schema files (`tableform.schema.json`).

use serde_json::{Value, json};

/// What a key holds.
pub enum Kind {
    Str,
    Bool,
    Int,
    /// A string from a fixed set (matched case-insensitively by the loader).
    OneOf(&'static [&'static str]),
    Strings,
    /// An inline table with these keys.
    Table(&'static [Field]),
    /// An array of inline tables with these keys.
    Tables(&'static [Field]),
    /// `[key.NAME]` sections, each a table with these keys.
    Sections(&'static [Field]),
    /// `[key.NAME]` sections, or `[[key.NAME]]` arrays of them (one per overload).
    Overloads(&'static [Field]),
    /// Either a string from a fixed set, or an inline table with these keys.
    OneOfOrTable(&'static [&'static str], &'static [Field]),
    /// An inline table of free names, each a string, number or boolean (storage parameters).
    Params,
    /// An inline table of role names, each an array of privilege strings (`grants`).
    Grants,
}

/// `grants` of an object: the managed roles' privileges on it.
const GRANTS: Field = f(
    "grants",
    Kind::Grants,
    "Privileges of the managed roles ([settings] roles) on this object: { app = [\"select\", \"insert\"], reader = [\"select\"] }; \"all\" for every privilege of the kind, \"select with grant option\" to let the role grant it on. A managed role left out holds none; other roles' grants are kept.",
);

/// `owner` of an object.
const OWNER: Field = f(
    "owner",
    Kind::Str,
    "The role that owns it (ALTER ... OWNER TO); it must exist. Left out: the owner is left as it is.",
);

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

const fn f(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        doc,
    }
}

/// `renamed_from` on a primary key, unique, foreign key or check: one text for all four.
const CONSTRAINT_RENAMED_FROM: Field = f(
    "renamed_from",
    Kind::Str,
    "The constraint's old name: a live constraint of that name (and none of this one) is renamed (ALTER TABLE ... RENAME CONSTRAINT) before anything else touches it. Already renamed: a no-op the plan notes.",
);

const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        doc,
    }
}

pub const ACTIONS: &[&str] = &[
    "no action",
    "restrict",
    "cascade",
    "set null",
    "set default",
];
pub const METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin", "spgist"];

pub const COLUMN: &[Field] = &[
    req("name", Kind::Str, "Column name."),
    req(
        "type",
        Kind::Str,
        "PostgreSQL type: integer, bigint, serial, varchar(36), text, numeric(10,2), timestamptz, jsonb, text[], an enum, domain or composite type declared in the schema, point, int4range, interval second(0), citext, schema.type...",
    ),
    f(
        "nullable",
        Kind::Bool,
        "false adds NOT NULL (default true; primary-key, serial and identity columns are NOT NULL).",
    ),
    f(
        "default",
        Kind::Str,
        "A SQL expression, as after DEFAULT: \"'viewer'\", \"0\", \"now()\".",
    ),
    f(
        "primary_key",
        Kind::Bool,
        "Single-column primary key, named <table>_pkey.",
    ),
    f(
        "unique",
        Kind::Bool,
        "Single-column unique constraint, named <table>_<column>_key.",
    ),
    f(
        "references",
        Kind::Str,
        "Foreign key: \"table(column)\" or \"schema.table(column)\".",
    ),
    f(
        "on_delete",
        Kind::OneOf(ACTIONS),
        "ON DELETE action of `references`.",
    ),
    f(
        "on_update",
        Kind::OneOf(ACTIONS),
        "ON UPDATE action of `references`.",
    ),
    f(
        "check",
        Kind::Str,
        "A check constraint on this column, named <table>_<column>_check.",
    ),
    f(
        "identity",
        Kind::OneOfOrTable(GENERATED, IDENTITY),
        "GENERATED ALWAYS|BY DEFAULT AS IDENTITY (an integer column, no default); a table to set its sequence's options.",
    ),
    f(
        "generated",
        Kind::Str,
        "GENERATED ALWAYS AS (expression) STORED: computed from the other columns of its row (no default, identity or serial). Changing it drops and adds the column again.",
    ),
    f("comment", Kind::Str, "Column comment."),
    f(
        "collation",
        Kind::Str,
        "COLLATE: a collation name, as in pg_collation (\"C\", \"POSIX\", \"en-x-icu\"); default: the type's.",
    ),
    f(
        "backfill",
        Kind::Str,
        "A SQL expression that fills the column where it is NULL before NOT NULL is set, when a NOT NULL column is added to a table with rows or set on one holding NULLs: \"'shop'\", \"now()\", \"coalesce(updated_at, created_at)\". Nothing to fill: a no-op.",
    ),
    f(
        "using",
        Kind::Str,
        "A SQL expression converting existing values when the column's type changes (ALTER COLUMN ... TYPE ... USING): \"flag <> 0\", \"status::text::new_enum\". No type change: a no-op.",
    ),
    f(
        "renamed_from",
        Kind::Str,
        "The column's old name: a live column of that name (and none of this one) is renamed (ALTER TABLE ... RENAME COLUMN), keeping its rows, before anything else touches it. Already renamed: a no-op the plan notes.",
    ),
    f(
        "grants",
        Kind::Grants,
        "Column privileges of the managed roles ([settings] roles): { role = [\"select\", \"update\"] } (select, insert, update, references).",
    ),
];

pub const GENERATED: &[&str] = &["always", "by default"];

pub const IDENTITY: &[Field] = &[
    req(
        "generated",
        Kind::OneOf(GENERATED),
        "\"always\" or \"by default\".",
    ),
    f("start", Kind::Int, "START WITH."),
    f("increment", Kind::Int, "INCREMENT BY (default 1)."),
    f("min_value", Kind::Int, "MINVALUE."),
    f("max_value", Kind::Int, "MAXVALUE."),
    f("cache", Kind::Int, "CACHE (default 1)."),
    f("cycle", Kind::Bool, "CYCLE (default false)."),
];

pub const NAMED_COLUMNS: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Constraint name (default: PostgreSQL's).",
    ),
    req("columns", Kind::Strings, "Columns, in order."),
    CONSTRAINT_RENAMED_FROM,
    f(
        "comment",
        Kind::Str,
        "Constraint comment (COMMENT ON CONSTRAINT).",
    ),
];

pub const UNIQUE: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Constraint name (default <table>_<columns>_key).",
    ),
    req("columns", Kind::Strings, "Columns, in order."),
    f(
        "nulls_not_distinct",
        Kind::Bool,
        "NULLS NOT DISTINCT (PostgreSQL 15+): rows holding NULL in the key clash too.",
    ),
    f("deferrable", Kind::Bool, "DEFERRABLE."),
    f(
        "initially_deferred",
        Kind::Bool,
        "INITIALLY DEFERRED (implies deferrable).",
    ),
    f(
        "include",
        Kind::Strings,
        "INCLUDE (...): columns stored in the index, not part of the key.",
    ),
    f(
        "with",
        Kind::Params,
        "Storage parameters of the constraint's index: { fillfactor = 70 }.",
    ),
    CONSTRAINT_RENAMED_FROM,
    f(
        "comment",
        Kind::Str,
        "Constraint comment (COMMENT ON CONSTRAINT).",
    ),
];

pub const FOREIGN_KEY: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Constraint name (default <table>_<columns>_fkey).",
    ),
    req("columns", Kind::Strings, "Referencing columns."),
    req(
        "references",
        Kind::Str,
        "\"table(col, ...)\" or \"schema.table(col, ...)\".",
    ),
    f("on_delete", Kind::OneOf(ACTIONS), "ON DELETE action."),
    f("on_update", Kind::OneOf(ACTIONS), "ON UPDATE action."),
    f("deferrable", Kind::Bool, "DEFERRABLE."),
    f(
        "initially_deferred",
        Kind::Bool,
        "INITIALLY DEFERRED (implies deferrable).",
    ),
    f(
        "match",
        Kind::OneOf(MATCHES),
        "MATCH FULL or MATCH SIMPLE (the default).",
    ),
    f(
        "valid",
        Kind::Bool,
        "false: added NOT VALID, existing rows are not checked (default true).",
    ),
    CONSTRAINT_RENAMED_FROM,
    f(
        "comment",
        Kind::Str,
        "Constraint comment (COMMENT ON CONSTRAINT).",
    ),
];

pub const MATCHES: &[&str] = &["simple", "full"];

pub const CHECK: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Constraint name (default: PostgreSQL's).",
    ),
    req("expression", Kind::Str, "A SQL boolean expression."),
    f(
        "valid",
        Kind::Bool,
        "false: added NOT VALID, existing rows are not checked (default true).",
    ),
    f(
        "no_inherit",
        Kind::Bool,
        "NO INHERIT: not inherited by child tables (default false).",
    ),
    CONSTRAINT_RENAMED_FROM,
    f(
        "comment",
        Kind::Str,
        "Constraint comment (COMMENT ON CONSTRAINT).",
    ),
];

pub const INDEX: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Index name (default <table>_<columns>_idx).",
    ),
    req(
        "columns",
        Kind::Strings,
        "Key columns; an entry may be \"(expression)\", and may go on with COLLATE \"name\", an operator class (text_pattern_ops) and DESC / NULLS FIRST|LAST, as in CREATE INDEX.",
    ),
    f("unique", Kind::Bool, "CREATE UNIQUE INDEX."),
    f("where", Kind::Str, "Partial index predicate."),
    f(
        "method",
        Kind::OneOf(METHODS),
        "Index access method (default btree).",
    ),
    f(
        "include",
        Kind::Strings,
        "INCLUDE (...): columns stored in the index, not part of the key (btree, gist, spgist).",
    ),
    f(
        "with",
        Kind::Params,
        "Storage parameters: { fillfactor = 70, deduplicate_items = false }.",
    ),
    f(
        "nulls_not_distinct",
        Kind::Bool,
        "NULLS NOT DISTINCT (PostgreSQL 15+, unique indexes): rows holding NULL in the key clash too.",
    ),
    f("comment", Kind::Str, "Index comment (COMMENT ON INDEX)."),
    f(
        "renamed_from",
        Kind::Str,
        "The index's old name: a live index of that name (and none of this one) is renamed (ALTER INDEX ... RENAME TO) before anything else touches it. Already renamed: a no-op the plan notes.",
    ),
];

pub const POLICY: &[Field] = &[
    req("name", Kind::Str, "Policy name (unique on its table)."),
    f(
        "command",
        Kind::OneOf(&["all", "select", "insert", "update", "delete"]),
        "FOR ALL (default), SELECT, INSERT, UPDATE or DELETE.",
    ),
    f(
        "as",
        Kind::OneOf(&["permissive", "restrictive"]),
        "AS PERMISSIVE (default: any permissive policy may let a row through) or RESTRICTIVE (every restrictive one must).",
    ),
    f(
        "roles",
        Kind::Strings,
        "TO roles (default [\"public\"]: every role). Roles are not created by tableform: each must exist.",
    ),
    f(
        "using",
        Kind::Str,
        "USING (expression): which existing rows the command sees (not for insert).",
    ),
    f(
        "with_check",
        Kind::Str,
        "WITH CHECK (expression): which new rows the command may write (not for select or delete).",
    ),
    f("comment", Kind::Str, "Policy comment (COMMENT ON POLICY)."),
];

pub const EXCLUSION: &[Field] = &[
    req("name", Kind::Str, "Constraint name."),
    req(
        "exclude",
        Kind::Str,
        "What follows EXCLUDE: \"USING gist (room WITH =, during WITH &&)\", optionally with INCLUDE (...), WITH (...) and WHERE (...).",
    ),
    f("deferrable", Kind::Bool, "DEFERRABLE."),
    f(
        "initially_deferred",
        Kind::Bool,
        "INITIALLY DEFERRED (implies deferrable).",
    ),
    f("comment", Kind::Str, "Constraint comment."),
];

pub const PARTITION_RULE: &[Field] = &[
    req(
        "every",
        Kind::OneOf(&["day", "month", "year"]),
        "How long each partition's range is.",
    ),
    req(
        "from",
        Kind::Str,
        "The first partition's lower bound, a date (YYYY-MM-DD) at the start of a period.",
    ),
    req(
        "to",
        Kind::Str,
        "Where the last partition ends (exclusive), a date at the start of a period.",
    ),
];

pub const PARTITION: &[Field] = &[
    req(
        "name",
        Kind::Str,
        "Partition (table) name, in the parent's schema.",
    ),
    f(
        "values",
        Kind::Str,
        "The bounds after FOR VALUES: \"FROM ('2026-01-01') TO ('2026-02-01')\", \"IN ('eu', 'us')\" or \"WITH (MODULUS 4, REMAINDER 0)\".",
    ),
    f(
        "default",
        Kind::Bool,
        "The DEFAULT partition: the rows no other partition takes (instead of `values`).",
    ),
];

pub const TABLE: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f(
        "renamed_from",
        Kind::Str,
        "The table's old name, \"name\" (same schema) or \"schema.name\": a live table of that name (and none of this one) is renamed (ALTER TABLE ... RENAME TO, then SET SCHEMA when the schema differs), keeping its rows, indexes and the foreign keys that reference it, before anything else touches it. Already renamed: a no-op the plan notes.",
    ),
    f("comment", Kind::Str, "Table comment."),
    req(
        "columns",
        Kind::Tables(COLUMN),
        "The columns, in table order.",
    ),
    f(
        "primary_key",
        Kind::Table(NAMED_COLUMNS),
        "Table-level (composite) primary key.",
    ),
    f("unique", Kind::Tables(UNIQUE), "Unique constraints."),
    f("foreign_keys", Kind::Tables(FOREIGN_KEY), "Foreign keys."),
    f("checks", Kind::Tables(CHECK), "Check constraints."),
    f(
        "exclusions",
        Kind::Tables(EXCLUSION),
        "Exclusion constraints: no two rows whose elements all match with their operators.",
    ),
    f(
        "indexes",
        Kind::Tables(INDEX),
        "Indexes that are not constraints.",
    ),
    f(
        "prevent_destroy",
        Kind::Bool,
        "Never drop or rewrite this table or its columns, whatever the flags.",
    ),
    f(
        "unlogged",
        Kind::Bool,
        "CREATE UNLOGGED TABLE: not written to the write-ahead log (faster writes; emptied after a crash, not replicated). Changing it rewrites the table.",
    ),
    f(
        "with",
        Kind::Params,
        "Storage parameters: { fillfactor = 70, autovacuum_enabled = false }. Changed with ALTER TABLE ... SET / RESET (no rewrite).",
    ),
    f(
        "row_level_security",
        Kind::Bool,
        "ENABLE ROW LEVEL SECURITY: rows are reachable only through the table's policies (for roles other than the owner, superusers and BYPASSRLS roles; with no policy, none).",
    ),
    f(
        "force_row_level_security",
        Kind::Bool,
        "FORCE ROW LEVEL SECURITY: the policies bind the table's owner too.",
    ),
    f(
        "partition_by",
        Kind::Str,
        "PARTITION BY: \"range (created_at)\", \"list (region)\" or \"hash (id)\". Cannot change once created.",
    ),
    f(
        "partitions",
        Kind::Tables(PARTITION),
        "The partitions of a partitioned table, as [[table.NAME.partitions]].",
    ),
    f(
        "partition_rule",
        Kind::Table(PARTITION_RULE),
        "Range partitions generated by a rule: { every = \"month\", from = \"2026-01-01\", to = \"2027-01-01\" } declares <table>_2026_01 ... <table>_2026_12. Bump `to` to add the next ones; raise `from` to drop the oldest.",
    ),
    f(
        "policies",
        Kind::Tables(POLICY),
        "Row level security policies, as [[table.NAME.policies]] (or an array of inline tables); they apply once row_level_security is on.",
    ),
    f(
        "triggers",
        Kind::Tables(TRIGGER),
        "Triggers on the table, as [[table.NAME.triggers]] (or an array of inline tables).",
    ),
    GRANTS,
    OWNER,
];

pub const ENUM: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    req("values", Kind::Strings, "The values, in order."),
    f("comment", Kind::Str, "Enum type comment (COMMENT ON TYPE)."),
    f(
        "renamed_values",
        Kind::Params,
        "Values renamed in place, new name = old name: { shipped = \"sent\" } (ALTER TYPE ... RENAME VALUE, first; rows holding the old value hold the new one). Already renamed: a no-op the plan notes.",
    ),
    GRANTS,
    OWNER,
];

pub const DOMAIN: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    req(
        "type",
        Kind::Str,
        "Base type: integer, text, varchar(20), numeric(10,2), an enum declared in the schema, schema.type... Another base type is a drop and create when no column uses the domain, refused otherwise.",
    ),
    f(
        "default",
        Kind::Str,
        "DEFAULT: a SQL expression, the default of every column of the domain that has none of its own.",
    ),
    f(
        "not_null",
        Kind::Bool,
        "NOT NULL (default false). Setting it on an existing domain: PostgreSQL checks every column using it, and apply fails and changes nothing if one holds NULL.",
    ),
    f(
        "collation",
        Kind::Str,
        "COLLATE: the domain's collation (text types), when not the base type's default.",
    ),
    f(
        "checks",
        Kind::Tables(DOMAIN_CHECK),
        "CHECK constraints, each { name, expression } (as a table's checks) with VALUE the value checked: [{ name = \"positive\", expression = \"VALUE > 0\" }]. A new check is added NOT VALID, then validated.",
    ),
    f("comment", Kind::Str, "Domain comment (COMMENT ON DOMAIN)."),
    GRANTS,
    OWNER,
];

pub const DOMAIN_CHECK: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Constraint name (default: the domain's name and `_check`, then `_check1`, `_check2`... as PostgreSQL names them).",
    ),
    req(
        "expression",
        Kind::Str,
        "A boolean SQL expression over VALUE: \"VALUE > 0\", \"VALUE ~ '^[a-z]+$'\".",
    ),
];

pub const COMPOSITE: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    req(
        "attributes",
        Kind::Tables(ATTRIBUTE),
        "The attributes, in order: [{ name = \"street\", type = \"text\" }, ...]. New ones are added at the end (ALTER TYPE ... ADD ATTRIBUTE); dropping one or changing its type is refused while a table column uses the type.",
    ),
    f(
        "comment",
        Kind::Str,
        "Composite type comment (COMMENT ON TYPE).",
    ),
    GRANTS,
    OWNER,
];

pub const ATTRIBUTE: &[Field] = &[
    req("name", Kind::Str, "Attribute name."),
    req(
        "type",
        Kind::Str,
        "Attribute type: a PostgreSQL type, a declared enum, domain or composite type, schema.type...",
    ),
    f(
        "collation",
        Kind::Str,
        "COLLATE: the attribute's collation (text types), when not its type's default.",
    ),
];

pub const SEQUENCE: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f(
        "type",
        Kind::OneOf(&["smallint", "integer", "bigint"]),
        "Sequence type (default bigint).",
    ),
    f("start", Kind::Int, "START WITH."),
    f("increment", Kind::Int, "INCREMENT BY (default 1)."),
    f("min_value", Kind::Int, "MINVALUE."),
    f("max_value", Kind::Int, "MAXVALUE."),
    f("cache", Kind::Int, "CACHE (default 1)."),
    f("cycle", Kind::Bool, "CYCLE (default false)."),
    f(
        "comment",
        Kind::Str,
        "Sequence comment (COMMENT ON SEQUENCE).",
    ),
    f(
        "owned_by",
        Kind::Str,
        "OWNED BY: \"table.column\" of a declared table in the sequence's schema; the sequence is dropped with the column.",
    ),
    GRANTS,
    OWNER,
];

pub const TIMINGS: &[&str] = &["before", "after", "instead of"];
pub const EVENTS: &[&str] = &["insert", "update", "delete", "truncate"];
pub const LEVELS: &[&str] = &["row", "statement"];
pub const ENABLED: &[&str] = &["origin", "always", "replica", "disabled"];

pub const TRIGGER: &[Field] = &[
    req(
        "name",
        Kind::Str,
        "Trigger name (unique on its table or view).",
    ),
    req(
        "timing",
        Kind::OneOf(TIMINGS),
        "BEFORE, AFTER or INSTEAD OF (views only, row level).",
    ),
    req(
        "events",
        Kind::Strings,
        "The events that fire it: \"insert\", \"update\", \"delete\", \"truncate\" (statement level only).",
    ),
    f(
        "update_of",
        Kind::Strings,
        "UPDATE OF col, ...: fire on updates of these columns only (needs the \"update\" event).",
    ),
    f(
        "level",
        Kind::OneOf(LEVELS),
        "FOR EACH ROW or FOR EACH STATEMENT (the default).",
    ),
    f(
        "when",
        Kind::Str,
        "WHEN (condition): a boolean SQL expression over OLD and NEW, row level only: \"OLD.* IS DISTINCT FROM NEW.*\".",
    ),
    req(
        "function",
        Kind::Str,
        "The trigger function, \"name\" or \"schema.name\" (declared or not; a declared one must return trigger and take no arguments).",
    ),
    f(
        "arguments",
        Kind::Strings,
        "Literal arguments given to the function (TG_ARGV).",
    ),
    f(
        "enabled",
        Kind::OneOf(ENABLED),
        "Firing state: \"origin\" (the default), \"always\", \"replica\" or \"disabled\" (ALTER TABLE ... ENABLE|DISABLE TRIGGER).",
    ),
    f(
        "constraint",
        Kind::Bool,
        "CREATE CONSTRAINT TRIGGER (AFTER, row level only), which can be deferred.",
    ),
    f(
        "deferrable",
        Kind::Bool,
        "DEFERRABLE (constraint triggers).",
    ),
    f(
        "initially_deferred",
        Kind::Bool,
        "INITIALLY DEFERRED (constraint triggers; implies deferrable).",
    ),
    f(
        "comment",
        Kind::Str,
        "Trigger comment (COMMENT ON TRIGGER).",
    ),
    f(
        "renamed_from",
        Kind::Str,
        "The trigger's old name: a live trigger of that name (and none of this one) is renamed (ALTER TRIGGER ... RENAME TO). Already renamed: a no-op the plan notes.",
    ),
];

pub const EXTENSION: &[Field] = &[
    f(
        "schema",
        Kind::Str,
        "CREATE EXTENSION ... SCHEMA: where a relocatable extension puts its objects (default: PostgreSQL's choice, the first schema of the search path).",
    ),
    f(
        "version",
        Kind::Str,
        "VERSION (default: the extension's default version, and any installed version is accepted).",
    ),
    f(
        "comment",
        Kind::Str,
        "Extension comment (COMMENT ON EXTENSION).",
    ),
];

pub const CHECK_OPTIONS: &[&str] = &["local", "cascaded"];

pub const VIEW: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f(
        "renamed_from",
        Kind::Str,
        "The view's old name, \"name\" (same schema) or \"schema.name\" (ALTER VIEW ... RENAME TO).",
    ),
    f("comment", Kind::Str, "View comment (COMMENT ON VIEW)."),
    f(
        "query",
        Kind::Str,
        "The view's query, as after CREATE VIEW ... AS: \"SELECT ...\" (one statement; a final `;` is dropped). Exactly one of query and query_file.",
    ),
    f(
        "query_file",
        Kind::Str,
        "A file holding the query, relative to this TOML file: \"views/active_users.sql\".",
    ),
    f(
        "columns",
        Kind::Strings,
        "Names of the view's columns, CREATE VIEW v (a, b, ...) (default: the query's own).",
    ),
    f(
        "check_option",
        Kind::OneOf(CHECK_OPTIONS),
        "WITH LOCAL|CASCADED CHECK OPTION (updatable views).",
    ),
    f("security_barrier", Kind::Bool, "security_barrier option."),
    f(
        "security_invoker",
        Kind::Bool,
        "security_invoker option (PostgreSQL 15+): base tables are read with the caller's privileges.",
    ),
    f(
        "triggers",
        Kind::Tables(TRIGGER),
        "Triggers on the view (INSTEAD OF at row level; BEFORE/AFTER at statement level), as [[view.NAME.triggers]].",
    ),
    GRANTS,
    OWNER,
];

pub const MATERIALIZED_VIEW: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f(
        "renamed_from",
        Kind::Str,
        "The materialized view's old name, \"name\" or \"schema.name\" (ALTER MATERIALIZED VIEW ... RENAME TO).",
    ),
    f(
        "comment",
        Kind::Str,
        "Materialized view comment (COMMENT ON MATERIALIZED VIEW).",
    ),
    f(
        "query",
        Kind::Str,
        "The query, as after CREATE MATERIALIZED VIEW ... AS. Exactly one of query and query_file.",
    ),
    f(
        "query_file",
        Kind::Str,
        "A file holding the query, relative to this TOML file.",
    ),
    f(
        "columns",
        Kind::Strings,
        "Names of the columns (default: the query's own).",
    ),
    f(
        "with_data",
        Kind::Bool,
        "false: created WITH NO DATA, unscannable until REFRESH MATERIALIZED VIEW (default true).",
    ),
    f(
        "indexes",
        Kind::Tables(INDEX),
        "Indexes, with the keys of a table's indexes.",
    ),
    GRANTS,
    OWNER,
];

pub const ARG_MODES: &[&str] = &["in", "out", "inout", "variadic"];
pub const VOLATILITIES: &[&str] = &["immutable", "stable", "volatile"];
pub const PARALLEL: &[&str] = &["safe", "restricted", "unsafe"];

pub const ARGUMENT: &[Field] = &[
    f(
        "name",
        Kind::Str,
        "Argument name (optional for in arguments of a function in a language that does not need it).",
    ),
    req(
        "type",
        Kind::Str,
        "Argument type: integer, text, uuid, a declared table, view or enum, anyelement, schema.type... For variadic, the array type: \"integer[]\".",
    ),
    f(
        "mode",
        Kind::OneOf(ARG_MODES),
        "\"in\" (the default), \"out\", \"inout\" or \"variadic\" (last input argument, an array type).",
    ),
    f(
        "default",
        Kind::Str,
        "DEFAULT: a SQL expression (input arguments; every later input argument needs one too).",
    ),
];

pub const RETURN_COLUMN: &[Field] = &[
    req("name", Kind::Str, "Column name."),
    req("type", Kind::Str, "Column type."),
];

/// The keys a function has and a procedure does not.
pub const FUNCTION_ONLY: &[&str] = &[
    "returns",
    "returns_table",
    "volatility",
    "strict",
    "leakproof",
    "parallel",
    "cost",
    "rows",
];

pub const FUNCTION: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f("comment", Kind::Str, "Comment (COMMENT ON FUNCTION)."),
    f(
        "arguments",
        Kind::Tables(ARGUMENT),
        "The arguments, in order (default: none). The input ones (in, inout, variadic) make the signature that tells overloads apart.",
    ),
    f(
        "returns",
        Kind::Str,
        "RETURNS: a type (\"integer\", \"void\", \"trigger\", \"record\") or \"setof T\". Exactly one of returns and returns_table.",
    ),
    f(
        "returns_table",
        Kind::Tables(RETURN_COLUMN),
        "RETURNS TABLE (name type, ...): [{ name = \"id\", type = \"integer\" }, ...].",
    ),
    req(
        "language",
        Kind::Str,
        "LANGUAGE: sql, plpgsql, or any installed procedural language.",
    ),
    f(
        "body",
        Kind::Str,
        "The body, as between the $$ of AS $$ ... $$ (a multi-line string: '''...'''). Exactly one of body and body_file.",
    ),
    f(
        "body_file",
        Kind::Str,
        "A file holding the body, relative to this TOML file: \"functions/touch_updated_at.sql\".",
    ),
    f(
        "volatility",
        Kind::OneOf(VOLATILITIES),
        "IMMUTABLE, STABLE or VOLATILE (the default).",
    ),
    f(
        "strict",
        Kind::Bool,
        "STRICT: NULL for any NULL argument, without calling (default false).",
    ),
    f(
        "security_definer",
        Kind::Bool,
        "SECURITY DEFINER: runs with its owner's privileges (default false; give it a `set` search_path).",
    ),
    f("leakproof", Kind::Bool, "LEAKPROOF (default false)."),
    f(
        "parallel",
        Kind::OneOf(PARALLEL),
        "PARALLEL SAFE, RESTRICTED or UNSAFE (the default).",
    ),
    f(
        "cost",
        Kind::Int,
        "COST: estimated execution cost, in units of cpu_operator_cost (default 100; 1 for C).",
    ),
    f(
        "rows",
        Kind::Int,
        "ROWS: estimated rows of a set-returning function (default 1000).",
    ),
    f(
        "set",
        Kind::Params,
        "SET clauses, setting = value: { search_path = \"pg_catalog, public\" }.",
    ),
    GRANTS,
    OWNER,
];

pub const PROCEDURE: &[Field] = &[
    f("schema", Kind::Str, "PostgreSQL schema (default public)."),
    f("comment", Kind::Str, "Comment (COMMENT ON PROCEDURE)."),
    f(
        "arguments",
        Kind::Tables(ARGUMENT),
        "The arguments, in order (default: none); every one, out ones too, is part of the signature.",
    ),
    req(
        "language",
        Kind::Str,
        "LANGUAGE: sql, plpgsql, or any installed procedural language.",
    ),
    f(
        "body",
        Kind::Str,
        "The body, as between the $$ of AS $$ ... $$. Exactly one of body and body_file.",
    ),
    f(
        "body_file",
        Kind::Str,
        "A file holding the body, relative to this TOML file.",
    ),
    f(
        "security_definer",
        Kind::Bool,
        "SECURITY DEFINER: runs with its owner's privileges (default false).",
    ),
    f(
        "set",
        Kind::Params,
        "SET clauses, setting = value: { search_path = \"pg_catalog, public\" }.",
    ),
    GRANTS,
    OWNER,
];

pub const SCHEMA: &[Field] = &[
    f(
        "comment",
        Kind::Str,
        "Schema comment (COMMENT ON SCHEMA); managed only for schemas declared as [schema.NAME].",
    ),
    GRANTS,
    OWNER,
];

pub const SETTINGS: &[Field] = &[
    f(
        "schemas",
        Kind::Strings,
        "The PostgreSQL schemas tableform manages (default: those the declaration uses, plus public).",
    ),
    f(
        "ignore",
        Kind::Strings,
        "Name patterns (`*` wildcard; `schema.name` or `name`) of objects to hide completely.",
    ),
    f(
        "roles",
        Kind::Strings,
        "The roles whose privileges tableform manages (\"public\" for PUBLIC): on declared objects they hold exactly what `grants` say. Other roles' privileges are reported, never revoked. The roles must exist; they are never created.",
    ),
];

pub const DEFAULT_PRIVILEGES: &[Field] = &[
    req(
        "for_role",
        Kind::Str,
        "The role whose new objects get these privileges (ALTER DEFAULT PRIVILEGES FOR ROLE).",
    ),
    f(
        "schema",
        Kind::Str,
        "Only for objects created in this schema (IN SCHEMA); left out: everywhere.",
    ),
    req(
        "on",
        Kind::OneOf(&["tables", "sequences", "functions", "types", "schemas"]),
        "The kind of object.",
    ),
    req(
        "grants",
        Kind::Grants,
        "What the managed roles get on each new object: { reader = [\"select\"] }.",
    ),
];

pub const TOP: &[Field] = &[
    f("table", Kind::Sections(TABLE), "Tables, as [table.NAME]."),
    f("enum", Kind::Sections(ENUM), "Enum types, as [enum.NAME]."),
    f(
        "domain",
        Kind::Sections(DOMAIN),
        "Domains, as [domain.NAME].",
    ),
    f(
        "composite",
        Kind::Sections(COMPOSITE),
        "Composite types (CREATE TYPE ... AS (...)), as [composite.NAME].",
    ),
    f(
        "sequence",
        Kind::Sections(SEQUENCE),
        "Standalone sequences, as [sequence.NAME].",
    ),
    f(
        "schema",
        Kind::Sections(SCHEMA),
        "PostgreSQL schemas, as [schema.NAME]: created if missing, their comment managed.",
    ),
    f(
        "extension",
        Kind::Sections(EXTENSION),
        "Extensions, as [extension.NAME].",
    ),
    f("view", Kind::Sections(VIEW), "Views, as [view.NAME]."),
    f(
        "materialized_view",
        Kind::Sections(MATERIALIZED_VIEW),
        "Materialized views, as [materialized_view.NAME].",
    ),
    f(
        "function",
        Kind::Overloads(FUNCTION),
        "Functions, as [function.NAME], or [[function.NAME]] once per overload.",
    ),
    f(
        "procedure",
        Kind::Overloads(PROCEDURE),
        "Procedures, as [procedure.NAME], or [[procedure.NAME]] once per overload.",
    ),
    f(
        "default_privileges",
        Kind::Tables(DEFAULT_PRIVILEGES),
        "Privileges new objects get (ALTER DEFAULT PRIVILEGES), as [[default_privileges]].",
    ),
    f(
        "settings",
        Kind::Table(SETTINGS),
        "Settings of the whole schema (in one file only).",
    ),
];

/// The key names of a section.
pub fn names(fields: &'static [Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

fn object(fields: &[Field]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_string(), field(f)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut o =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

fn field(f: &Field) -> Value {
    let mut v = match &f.kind {
        Kind::Str => json!({ "type": "string" }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Int => json!({ "type": "integer" }),
        Kind::OneOf(values) => json!({ "type": "string", "enum": values }),
        Kind::Strings => json!({ "type": "array", "items": { "type": "string" } }),
        Kind::Table(fields) => object(fields),
        Kind::Tables(fields) => json!({ "type": "array", "items": object(fields) }),
        Kind::OneOfOrTable(values, fields) => {
            json!({ "anyOf": [{ "type": "string", "enum": values }, object(fields)] })
        }
        Kind::Grants => json!({
            "type": "object",
            "additionalProperties": { "type": "array", "items": { "type": "string" } }
        }),
        Kind::Params => json!({
            "type": "object",
            "additionalProperties": { "type": ["string", "integer", "number", "boolean"] }
        }),
        Kind::Sections(fields) => {
            json!({ "type": "object", "additionalProperties": object(fields) })
        }
        Kind::Overloads(fields) => json!({
            "type": "object",
            "additionalProperties": {
                "anyOf": [object(fields), { "type": "array", "items": object(fields) }]
            }
        }),
    };
    v["description"] = json!(f.doc);
    v
}

/// The JSON Schema (draft 07, which TOML language servers read) of a schema file.
pub fn json_schema() -> Value {
    let mut root = object(TOP);
    root["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    root["title"] = json!("tableform schema file");
    root["description"] = json!(
        "Tables, enum types, domains, composite types, sequences, views, functions, triggers and extensions declared for tableform (docs/format.md)."
    );
    root
}
