//! The JSON Schema of the TOML format (`schemas/tableform.schema.json`) is generated from the
//! loader's own key tables (src/load/spec.rs); this keeps the committed file current and checks
//! every shipped schema file against it. `TABLEFORM_BLESS=1` rewrites it.

mod common;

use serde_json::Value;

fn schema_path() -> std::path::PathBuf {
    common::root().join("schemas/tableform.schema.json")
}

#[test]
fn the_committed_json_schema_is_current() {
    let generated =
        serde_json::to_string_pretty(&tableform::load::spec::json_schema()).unwrap() + "\n";
    if std::env::var_os("TABLEFORM_BLESS").is_some() {
        std::fs::write(schema_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/tableform.schema.json is out of date: run `TABLEFORM_BLESS=1 cargo test --test json_schema`"
    );
}

/// The JSON Schema keywords the generated schema uses: type, properties, additionalProperties,
/// required, items, enum, anyOf.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
        let fits = alternatives.iter().any(|alt| {
            let mut e = Vec::new();
            validate(alt, value, path, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{path}: matches none of the allowed forms"));
        }
        return;
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{path}: expected {t}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{path}: {value} is not one of {allowed:?}"));
    }
    if let (Some(obj), true) = (
        value.as_object(),
        schema.get("type") == Some(&Value::from("object")),
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(req.as_str().unwrap()) {
                errors.push(format!("{path}: missing {req}"));
            }
        }
        for (k, v) in obj {
            let sub = format!("{path}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => validate(s, v, &sub, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{sub}: not allowed")),
                (None, Some(s)) if s.is_object() => validate(s, v, &sub, errors),
                _ => {}
            }
        }
    }
    if let (Some(items), Some(s)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            validate(s, v, &format!("{path}[{i}]"), errors);
        }
    }
}

fn check_file(schema: &Value, path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let json = serde_json::to_value(value).unwrap();
    let mut errors = Vec::new();
    validate(schema, &json, &path.display().to_string(), &mut errors);
    errors
}

#[test]
fn every_shipped_schema_file_validates_against_the_json_schema() {
    let schema = tableform::load::spec::json_schema();
    let mut files = Vec::new();
    for example in ["schemas/shopping_points", "schemas/app_objects"] {
        let shipped = std::fs::read_dir(common::root().join(example)).unwrap();
        files.extend(shipped.filter_map(|e| e.ok().map(|e| e.path())));
    }
    for case in std::fs::read_dir(common::root().join("tests/diff_cases"))
        .unwrap()
        .filter_map(|e| e.ok())
    {
        if let Ok(d) = std::fs::read_dir(case.path().join("desired")) {
            files.extend(d.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    assert!(files.len() > 100, "{} files", files.len());
    let errors: Vec<String> = files.iter().flat_map(|f| check_file(&schema, f)).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_json_schema_catches_a_typo() {
    let schema = tableform::load::spec::json_schema();
    let file = common::root().join("tests/bad_inputs/typo_nulable/schema.toml");
    let errors = check_file(&schema, &file);
    assert!(
        errors.iter().any(|e| e.ends_with(".nulable: not allowed")),
        "{errors:?}"
    );
}
