//! What differs between the experiments being compared: every setting flattened to the dotted
//! key that `--set` takes (`train.lr`, `variants.relu.init`; `[i]` for a list entry without a
//! name), listed where any two sides disagree.

use std::collections::BTreeMap;

use toml::Value;

use crate::config::Experiment;

/// Prose and published values, which say what an experiment is about but change nothing it
/// computes.
const DESCRIPTIVE: [&str; 4] = ["question", "expected", "reference", "published"];

/// One setting that differs: its key and each side's value (`None` where a side lacks it).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub key: String,
    pub values: Vec<Option<String>>,
}

/// The settings on which `experiments` do not all agree, in key order.
pub fn differences(experiments: &[&Experiment]) -> Vec<Difference> {
    let tables: Vec<toml::Table> = experiments
        .iter()
        .map(|e| toml::Table::try_from(e).expect("an experiment serialises to TOML"))
        .collect();
    differences_in(&tables)
}

/// The settings on which the experiments written as `tables` do not all agree, in key order.
pub fn differences_in(tables: &[toml::Table]) -> Vec<Difference> {
    let flat: Vec<BTreeMap<String, String>> = tables.iter().map(flatten).collect();
    let mut keys: Vec<&String> = flat.iter().flat_map(|f| f.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let values: Vec<Option<String>> = flat.iter().map(|f| f.get(key).cloned()).collect();
            values.iter().any(|v| v != &values[0]).then(|| Difference {
                key: key.clone(),
                values,
            })
        })
        .collect()
}

/// Every leaf of `table` as `key -> value in TOML`.
fn flatten(table: &toml::Table) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if !DESCRIPTIVE.contains(&key.as_str()) {
            leaves(key, value, &mut out);
        }
    }
    out
}

fn leaves(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Table(table) => {
            for (key, value) in table {
                if !DESCRIPTIVE.contains(&key.as_str()) {
                    leaves(&format!("{prefix}.{key}"), value, out);
                }
            }
        }
        Value::Array(items) if items.iter().all(Value::is_table) && !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let key = match item.get("name").and_then(Value::as_str) {
                    Some(name) => format!("{prefix}.{name}"),
                    None => format!("{prefix}[{i}]"),
                };
                leaves(&key, item, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::find_experiment;

    #[test]
    fn lists_exactly_the_changed_settings() {
        let file = find_experiment("sigmoid-vs-relu").unwrap();
        let base = file.load(&[]).unwrap();
        let changed = file
            .load(&[
                "train.lr=0.5".parse().unwrap(),
                "variants.sigmoid.init=\"xavier-normal\"".parse().unwrap(),
            ])
            .unwrap();
        let found = differences(&[&base, &base, &changed]);
        let keys: Vec<&str> = found.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["train.lr", "variants.sigmoid.init"]);
        let lr = &found[0].values;
        assert_eq!(lr[0], lr[1]);
        assert_eq!(lr[2].as_deref(), Some("0.5"));
        assert!(differences(&[&base, &base]).is_empty());
    }
}
