//! The shape of the code, checked on every run: no import cycles between the files of a crate,
//! no lower layer importing a higher one, and no source file over 500 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose sources are checked, by folder.
const CRATES: [&str; 6] = [
    "types/src",
    "core/src",
    "app/src",
    "frontend/src",
    "server/src",
    "testsupport/scalingo-fake/src",
];

/// The longest a source file may be, tests included: longer ones keep their tests apart.
const MOST_LINES: usize = 500;

/// Top-level core modules a lower core module may not import, by lower module.
const CORE_LAYERS: [(&str, &[&str]); 12] = [
    ("records", DOMAIN),
    ("store", DOMAIN),
    ("config", DOMAIN),
    ("secret", DOMAIN),
    ("periodic", DOMAIN),
    ("sysuser", DOMAIN),
    ("clock", DOMAIN),
    (
        "auth",
        &[
            "pgtools", "provider", "jobs", "work", "ops", "catalog", "schedule",
        ],
    ),
    (
        "pgtools",
        &["provider", "jobs", "work", "ops", "catalog", "schedule"],
    ),
    ("catalog", &["jobs", "work", "ops", "schedule"]),
    ("provider", &["work", "ops", "catalog", "schedule"]),
    ("jobs", &["provider", "work", "ops", "catalog", "schedule"]),
];

/// What the domain is made of: what stores and settings must not know about.
const DOMAIN: &[&str] = &[
    "auth", "catalog", "jobs", "ops", "pgtools", "provider", "schedule", "work",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds core")
        .to_path_buf()
}

/// A crate's source files: module path (`a::b` is `["a", "b"]`) to the file's path in the crate.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder reads") {
            let path = entry.expect("a folder entry reads").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).expect("under src");
                let mut parts: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                found.insert(parts, rel.to_path_buf());
            }
        }
    }
    found
}

/// A file's text before its tests.
fn before_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// The bodies of the file's `use` declarations, `a::{b, c}` for `pub use a::{b, c};`.
fn use_trees(text: &str) -> Vec<String> {
    let mut trees = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("use ") {
        let line_start = rest[..i].rfind('\n').map_or(0, |n| n + 1);
        let lead = rest[line_start..i].trim();
        let is_decl = lead.is_empty() || (lead.starts_with("pub") && !lead.contains(' '));
        let after = &rest[i + 4..];
        let Some(end) = after.find(';') else { break };
        if is_decl {
            trees.push(
                after[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        rest = &after[end..];
    }
    trees
}

/// Every path a use tree names: `a::{b, c::{d, e}}` is `a::b`, `a::c::d`, `a::c::e`; `self` and
/// `*` name the prefix.
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn split_top(list: &str) -> Vec<&str> {
        let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
        for (i, c) in list.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&list[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&list[start..]);
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
    fn walk(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        if let Some(open) = tree.find('{') {
            let mut base = prefix.to_vec();
            base.extend(
                tree[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            let inner = &tree[open + 1..tree.rfind('}').expect("a closed brace")];
            for part in split_top(inner) {
                walk(&base, part, out);
            }
        } else {
            let mut path = prefix.to_vec();
            let name = tree.split(" as ").next().unwrap_or(tree);
            path.extend(
                name.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
                    .map(String::from),
            );
            out.push(path);
        }
    }
    let mut out = Vec::new();
    walk(&[], tree, &mut out);
    out
}

/// The module a `use` path starts from, seen from module `at` in a crate with `files`; `None`
/// for another crate.
fn resolve(
    at: &[String],
    path: &[String],
    files: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let (mut target, rest): (Vec<String>, &[String]) = match first.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (at.to_vec(), &path[1..]),
        "super" => {
            let mut target = at.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                target.pop();
                rest = &rest[1..];
            }
            (target, rest)
        }
        child => {
            let mut candidate = at.to_vec();
            candidate.push(child.to_string());
            if !files.contains_key(&candidate) {
                return None;
            }
            (at.to_vec(), path)
        }
    };
    target.extend(rest.iter().cloned());
    // The longest prefix that is a file of the crate.
    (0..=target.len())
        .rev()
        .map(|k| target[..k].to_vec())
        .find(|m| files.contains_key(m))
}

/// Each file's imports of other files of its crate, by module path.
fn imports(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = modules(src);
    let mut edges = BTreeMap::new();
    for (module, rel) in &files {
        let text = std::fs::read_to_string(src.join(rel)).expect("a source file reads");
        let targets: &mut BTreeSet<Vec<String>> = edges.entry(module.clone()).or_default();
        for tree in use_trees(before_tests(&text)) {
            for path in expand(&tree) {
                if let Some(target) = resolve(module, &path, &files)
                    && &target != module
                {
                    targets.insert(target);
                }
            }
        }
    }
    edges
}

/// The groups of files that import each other, round and round.
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    // Files that reach each other both ways, by a closure small enough for a few hundred files.
    let reach = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<_, _> = edges.keys().map(|m| (m.clone(), reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, seen) in &reached {
        if seen.contains(m) {
            let group: Vec<String> = reached
                .iter()
                .filter(|(o, s)| seen.contains(*o) && s.contains(m))
                .map(|(o, _)| o.join("::"))
                .collect();
            groups.insert(group);
        }
    }
    groups
        .into_iter()
        .map(|g| g.into_iter().collect())
        .collect()
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let mut found = Vec::new();
    for krate in CRATES {
        for group in cycles(&imports(&workspace().join(krate))) {
            found.push(format!("{krate}: {}", group.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn lower_layers_of_core_import_nothing_above_them() {
    let edges = imports(&workspace().join("core/src"));
    let mut found = Vec::new();
    for (module, targets) in &edges {
        let Some(top) = module.first() else { continue };
        let Some((_, above)) = CORE_LAYERS.iter().find(|(lower, _)| lower == top) else {
            continue;
        };
        for target in targets {
            if let Some(t) = target.first()
                && above.contains(&t.as_str())
            {
                found.push(format!(
                    "{} imports {}",
                    module.join("::"),
                    target.join("::")
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports from below:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_server_s_sign_in_does_not_import_its_rest_api() {
    let edges = imports(&workspace().join("server/src"));
    let found: Vec<String> = edges
        .iter()
        .filter(|(m, _)| m.first().is_some_and(|t| t == "auth"))
        .flat_map(|(m, targets)| {
            targets
                .iter()
                .filter(|t| t.first().is_some_and(|t| t == "api"))
                .map(move |t| format!("{} imports {}", m.join("::"), t.join("::")))
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut found = Vec::new();
    for krate in CRATES {
        let src = workspace().join(krate);
        for rel in modules(&src).values() {
            let text = std::fs::read_to_string(src.join(rel)).expect("a source file reads");
            let lines = text.lines().count();
            if lines > MOST_LINES {
                found.push(format!("{krate}/{}: {lines} lines", rel.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_see_a_cycle_and_the_paths_of_a_use_tree() {
    assert_eq!(
        expand("super::{a, b::{c, self}, d as e}"),
        vec![
            vec!["super", "a"],
            vec!["super", "b", "c"],
            vec!["super", "b"],
            vec!["super", "d"],
        ]
    );
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let edges = BTreeMap::from([
        (m("a"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("a"), m("c")])),
        (m("c"), BTreeSet::new()),
    ]);
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".to_string()]]);
    let trees =
        use_trees("pub(crate) use x::{y,\n  z};\n// a use of words\nfn f() { use q::r; }\n");
    assert_eq!(trees, vec!["x::{y, z}".to_string()]);
}
