//! Reads what `pgbackrest verify --output=text --verbose` says of each backup.

/// One backup's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupVerdict {
    pub label: String,
    pub valid: bool,
    /// "964 of 964 files valid", with what was wrong when something was.
    pub detail: String,
}

/// What the whole repository check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoVerdict {
    /// The stanza's status line said "ok".
    pub ok: bool,
    /// The backups pgBackRest could judge: valid or invalid.
    pub backups: Vec<BackupVerdict>,
    /// Backups it could not judge and says why ("in-progress" while one is being taken,
    /// "manifest missing" when one was expired during the check): neither good nor bad.
    pub unjudged: Vec<(String, String)>,
    /// The WAL archive's lines, when something in them is wrong.
    pub archive_problems: Vec<String>,
}

/// Parses the text report. pgBackRest exits 0 whether or not it found a problem: the report is
/// the verdict.
pub fn parse(text: &str) -> RepoVerdict {
    let mut verdict = RepoVerdict {
        ok: false,
        backups: Vec::new(),
        unjudged: Vec::new(),
        archive_problems: Vec::new(),
    };
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if let Some(status) = line.strip_prefix("status: ") {
            verdict.ok = status.trim() == "ok";
        } else if let Some(rest) = line.strip_prefix("backup: ") {
            let fields = fields(rest);
            let label = rest
                .split(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let status = field(&fields, "status").unwrap_or_default();
            if status != "valid" && status != "invalid" {
                lines.next_if(|l| l.starts_with("missing:"));
                verdict.unjudged.push((label, status.to_string()));
                continue;
            }
            let valid = status == "valid";
            let checked = field(&fields, "total files checked").unwrap_or("?");
            let good = field(&fields, "total valid files").unwrap_or("?");
            let mut detail = format!("{good} of {checked} files valid");
            if let Some(counts) = lines.next_if(|l| l.starts_with("missing:")) {
                let problems = problems(counts);
                if !problems.is_empty() {
                    detail = format!("{detail}; {problems}");
                }
            }
            verdict.backups.push(BackupVerdict {
                label,
                valid,
                detail,
            });
        } else if line.starts_with("archiveId:")
            && let Some(counts) = lines.next_if(|l| l.starts_with("missing:"))
        {
            let problems = problems(counts);
            if !problems.is_empty() {
                verdict
                    .archive_problems
                    .push(format!("WAL archive: {problems}"));
            }
        }
    }
    verdict
}

/// `key: value` pairs of a comma-separated line.
fn fields(line: &str) -> Vec<(&str, &str)> {
    line.split(',')
        .filter_map(|part| part.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn field<'a>(fields: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The non-zero counts of a "missing: 0, checksum invalid: 1, ..." line, in words.
fn problems(line: &str) -> String {
    fields(line)
        .into_iter()
        .filter(|(_, v)| v.parse::<u64>().map(|n| n > 0).unwrap_or(true))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "stanza: s
status: ok
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261203-171632F, status: valid, total files checked: 964, total valid files: 964
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
";

    #[test]
    fn a_clean_repository_has_every_backup_valid() {
        let v = parse(GOOD);
        assert!(v.ok);
        assert!(v.archive_problems.is_empty());
        assert_eq!(
            v.backups,
            [BackupVerdict {
                label: "20261203-171632F".into(),
                valid: true,
                detail: "964 of 964 files valid".into(),
            }]
        );
    }

    #[test]
    fn a_bad_checksum_makes_its_backup_invalid_and_says_so() {
        let text = "stanza: s
status: error
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261203-171632F, status: invalid, total files checked: 964, total valid files: 963
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
";
        let v = parse(text);
        assert!(!v.ok);
        assert!(!v.backups[0].valid);
        assert_eq!(
            v.backups[0].detail,
            "963 of 964 files valid; checksum invalid: 1"
        );
    }

    #[test]
    fn a_backup_being_taken_is_neither_valid_nor_invalid() {
        let text =
            format!("{GOOD}  backup: 20261203-180000F_20261203-181500I, status: in-progress\n");
        let v = parse(&text);
        assert_eq!(v.backups.len(), 1, "{v:?}");
        assert_eq!(
            v.unjudged,
            [(
                "20261203-180000F_20261203-181500I".to_string(),
                "in-progress".to_string()
            )]
        );
    }

    #[test]
    fn missing_wal_is_reported() {
        let text = GOOD.replacen("missing: 0", "missing: 3", 1);
        assert_eq!(parse(&text).archive_problems, ["WAL archive: missing: 3"]);
    }

    #[test]
    fn output_without_a_status_is_not_ok() {
        assert!(!parse("").ok);
    }
}
