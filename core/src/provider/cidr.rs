//! Checking a firewall rule before it is sent: a CIDR that parses, with a label.

use std::net::IpAddr;

use super::{NewFirewallRule, ProviderError};

fn invalid(field: &str, message: String) -> ProviderError {
    ProviderError::Invalid {
        field: Some(field.into()),
        message,
    }
}

/// An address range such as `203.0.113.0/24` or `2001:db8::/32`, returned trimmed.
pub fn parse_cidr(text: &str) -> Result<String, String> {
    let text = text.trim();
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not a CIDR range: write an address, a slash and a prefix length, such as 203.0.113.0/24."))?;
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("'{addr}' is not an IPv4 or IPv6 address."))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix.parse::<u8>() {
        Ok(p) if p <= max => Ok(text.to_string()),
        _ => Err(format!(
            "'{prefix}' is not a prefix length for this address: use 0 to {max}."
        )),
    }
}

/// The rule, checked and trimmed; the error names the field at fault.
pub fn check_rule(rule: NewFirewallRule) -> Result<NewFirewallRule, ProviderError> {
    match rule {
        NewFirewallRule::Custom { cidr, label } => {
            let cidr = parse_cidr(&cidr).map_err(|m| invalid("cidr", m))?;
            let label = label.trim().to_string();
            if label.is_empty() {
                return Err(invalid(
                    "label",
                    "Give the rule a label saying whose addresses these are.".into(),
                ));
            }
            if label.chars().count() > 100 {
                return Err(invalid(
                    "label",
                    "The label is longer than 100 characters.".into(),
                ));
            }
            Ok(NewFirewallRule::Custom { cidr, label })
        }
        NewFirewallRule::Managed { range_id } => {
            let range_id = range_id.trim().to_string();
            if range_id.is_empty() {
                return Err(invalid("range_id", "Choose a managed range.".into()));
            }
            Ok(NewFirewallRule::Managed { range_id })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_for_both_families() {
        assert_eq!(parse_cidr(" 203.0.113.0/24 ").unwrap(), "203.0.113.0/24");
        assert_eq!(parse_cidr("0.0.0.0/0").unwrap(), "0.0.0.0/0");
        assert_eq!(parse_cidr("2001:db8::/32").unwrap(), "2001:db8::/32");
        assert!(parse_cidr("203.0.113.0").unwrap_err().contains("slash"));
        assert!(
            parse_cidr("203.0.113.0/33")
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(
            parse_cidr("2001:db8::/129")
                .unwrap_err()
                .contains("0 to 128")
        );
        assert!(
            parse_cidr("300.1.1.1/8")
                .unwrap_err()
                .contains("not an IPv4")
        );
        assert!(parse_cidr("office/24").is_err());
    }

    #[test]
    fn a_rule_needs_a_label_and_names_the_field_at_fault() {
        let field = |r| match check_rule(r) {
            Err(ProviderError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(NewFirewallRule::Custom {
                cidr: "1.2.3.4/33".into(),
                label: "x".into()
            }),
            Some("cidr".into())
        );
        assert_eq!(
            field(NewFirewallRule::Custom {
                cidr: "1.2.3.4/32".into(),
                label: "  ".into()
            }),
            Some("label".into())
        );
        assert_eq!(
            field(NewFirewallRule::Managed {
                range_id: "".into()
            }),
            Some("range_id".into())
        );
        assert_eq!(
            check_rule(NewFirewallRule::Custom {
                cidr: "1.2.3.4/32".into(),
                label: " Office ".into()
            })
            .unwrap(),
            NewFirewallRule::Custom {
                cidr: "1.2.3.4/32".into(),
                label: "Office".into()
            }
        );
    }
}
