//! Sizes in the units people read, from integers only (float formatting would weigh on the
//! browser's bundle): the one formatter the pages, the API and the jobs' summaries share.

/// `scaled` divided by 10^`decimals`, rounded half up, written with that many decimals:
/// `fixed(1234, 2)` is "12.34", `fixed(1234, 0)` is "1234".
pub fn fixed(value: u64, scale: u32, decimals: u32) -> String {
    let drop = 10u64.pow(scale.saturating_sub(decimals));
    let v = (value + drop / 2) / drop;
    if decimals == 0 {
        return v.to_string();
    }
    let unit = 10u64.pow(decimals);
    format!(
        "{}.{:0width$}",
        v / unit,
        v % unit,
        width = decimals as usize
    )
}

/// Bytes in the units people read: "4.2 MB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut divisor = 1u64;
    let mut unit = 0;
    while bytes / divisor >= 1000 && unit < UNITS.len() - 1 {
        divisor *= 1000;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    // In tenths of the unit, rounded: one decimal under 10, none above.
    let tenths = (u128::from(bytes) * 10 + u128::from(divisor) / 2) / u128::from(divisor);
    let tenths = u64::try_from(tenths).unwrap_or(u64::MAX);
    if tenths < 100 {
        format!("{} {}", fixed(tenths, 1, 1), UNITS[unit])
    } else {
        format!("{} {}", fixed(tenths, 1, 0), UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_200_000), "4.2 MB");
        assert_eq!(size(143_000), "143 kB");
        assert_eq!(size(31_000_000_000), "31 GB");
        assert_eq!(size(1_000), "1.0 kB");
        assert_eq!(size(9_960), "10 kB");
        assert_eq!(size(999_999), "1000 kB");
        assert_eq!(size(u64::MAX), "18446744 TB");
    }
}
