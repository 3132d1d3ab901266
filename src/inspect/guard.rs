//! The server's word that each declared expression is exactly one expression, before any of them
//! is used in a probe or a step.
//!
//! The loader already parsed every expression with sqlparser; with the session settings pinned
//! ([`super::session`]) the server reads strings, identifiers and comments the same way. This is
//! the second opinion, from the final authority: each distinct expression is placed in two
//! utility statements and sent in Parse messages that are never executed. For a utility
//! statement PostgreSQL's Parse step runs only its grammar, so nothing is looked up, locked or
//! evaluated, and nothing is created. A text that is not one whole expression (one that closes a
//! parenthesis it did not open, or ends inside a string or comment) fails that grammar in at
//! least one of the two places.

use std::collections::BTreeMap;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::session;

/// An expression the server does not read as exactly one expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: `{sql}` is not exactly one SQL expression to PostgreSQL: {message}")]
pub struct NotOneExpression {
    pub place: String,
    pub sql: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rejected(Vec<NotOneExpression>),
    #[error("{0}")]
    Database(String),
}

/// The two statements an expression must fit, each as a lone expression: a column default, and
/// an operand inside a check. The trailing newline ends a `--` comment that would otherwise
/// swallow the rest of the statement.
fn templates(sql: &str) -> [String; 2] {
    [
        format!("CREATE TEMP TABLE tableform_expression_check (c integer DEFAULT ({sql}\n))"),
        format!(
            "CREATE TEMP TABLE tableform_expression_check (c integer, CHECK (((({sql}\n))) IS NOT NULL))"
        ),
    ]
}

/// Checks `(place, sql)` pairs; identical texts are asked once, all in one round trip.
pub async fn one_expression_each(
    client: &Client,
    exprs: &[(String, &str)],
) -> Result<(), GuardError> {
    let mut distinct: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (place, sql) in exprs {
        distinct.entry(sql).or_default().push(place);
    }
    if distinct.is_empty() {
        return Ok(());
    }
    let statements: Vec<(&str, String)> = distinct
        .keys()
        .flat_map(|sql| templates(sql).map(|t| (*sql, t)))
        .collect();
    let answers = session::in_order(statements.iter().map(|(_, t)| client.prepare(t))).await;
    let mut rejected: BTreeMap<&str, String> = BTreeMap::new();
    for ((sql, _), answer) in statements.iter().zip(answers) {
        match answer {
            Ok(_) => {}
            Err(e) if e.code() == Some(&SqlState::SYNTAX_ERROR) => {
                let message = e
                    .as_db_error()
                    .map_or(e.to_string(), |d| d.message().to_string());
                rejected.entry(sql).or_insert(message);
            }
            Err(e) => return Err(GuardError::Database(super::connect::reason(&e))),
        }
    }
    if rejected.is_empty() {
        return Ok(());
    }
    let mut out = Vec::new();
    for (sql, message) in rejected {
        for place in &distinct[sql] {
            out.push(NotOneExpression {
                place: place.to_string(),
                sql: sql.to_string(),
                message: message.clone(),
            });
        }
    }
    Err(GuardError::Rejected(out))
}
