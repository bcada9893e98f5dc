//! The process's own figures for the metrics route, read from /proc: when it started, its
//! resident memory, its CPU time and its open files. Absent where /proc says nothing.

/// What /proc says of this process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    pub start_time_seconds: Option<f64>,
    pub resident_memory_bytes: Option<f64>,
    pub cpu_seconds: Option<f64>,
    pub open_fds: Option<f64>,
}

/// Reads the figures now.
pub fn read() -> ProcessStats {
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .map(|t| t as f64);
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map(|p| p as f64);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Counting from the state (field 3 of proc(5)) as index 0.
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    let boot = std::fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    let rss_pages = std::fs::read_to_string("/proc/self/statm")
        .unwrap_or_default()
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<f64>().ok());
    ProcessStats {
        start_time_seconds: match (boot, field(22), ticks) {
            (Some(b), Some(s), Some(t)) => Some(b + s / t),
            _ => None,
        },
        resident_memory_bytes: rss_pages.zip(page).map(|(r, p)| r * p),
        cpu_seconds: match (field(14), field(15), ticks) {
            (Some(u), Some(s), Some(t)) => Some((u + s) / t),
            _ => None,
        },
        open_fds: std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_started_uses_memory_and_has_files_open() {
        let p = read();
        let now = chrono::Utc::now().timestamp() as f64;
        let started = p.start_time_seconds.unwrap();
        assert!(
            started <= now + 1.0 && started > now - 86_400.0 * 365.0,
            "{started}"
        );
        assert!(p.resident_memory_bytes.unwrap() > 1_000_000.0);
        assert!(p.open_fds.unwrap() >= 3.0);
        assert!(p.cpu_seconds.unwrap() >= 0.0);
    }
}
