//! Tests of `verify`.

use super::*;
use tidemark_types::RowCounts;

#[test]
fn tables_are_compared_both_ways_and_differences_named() {
    let expected = RowCounts::from([("public.a".into(), 3), ("public.b".into(), 5)]);
    let found = RowCounts::from([("public.a".into(), 3), ("public.c".into(), 1)]);
    let checks = compare(Some(&expected), &found);
    assert_eq!(checks.len(), 3);
    assert!(checks[0].matches());
    assert_eq!(
        mismatch(&checks[1]),
        "public.b is missing after the restore; the backup counted 5 rows in it."
    );
    // A table the backup did not have is expected with no rows.
    assert_eq!(checks[2].expected, Some(0));
    assert!(!checks[2].matches());
    let unknown = compare(None, &found);
    assert!(unknown.iter().all(|t| t.expected.is_none()));
}

#[test]
fn scratch_databases_are_named_from_the_job() {
    assert_eq!(scratch_name("J-01ab_Z"), "verify_j01abz");
}
