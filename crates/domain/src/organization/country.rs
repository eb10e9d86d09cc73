//! ISO 3166-1 alpha-2 country codes.

use serde::Serialize;

/// The officially assigned ISO 3166-1 alpha-2 codes.
const ASSIGNED: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Why a country code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ISO 3166-1 alpha-2 country code such as `DE` or `US`")]
pub struct CountryCodeError;

/// An assigned ISO 3166-1 alpha-2 code, stored in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code, case-insensitively.
    ///
    /// ```
    /// # use orgplane_domain::organization::CountryCode;
    /// assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
    /// assert!(CountryCode::parse("XX").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, CountryCodeError> {
        let upper = raw.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(CountryCodeError);
        }
        if !ASSIGNED.split(' ').any(|c| c == upper) {
            return Err(CountryCodeError);
        }
        Ok(Self([bytes[0], bytes[1]]))
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters ever get in.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_list_holds_every_assigned_code_once() {
        let codes: Vec<&str> = ASSIGNED.split(' ').collect();
        assert_eq!(codes.len(), 249);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, codes, "list must be sorted and free of duplicates");
    }

    #[test]
    fn unassigned_and_malformed_codes_are_refused() {
        for bad in ["", "D", "DEU", "XX", "UK", "1A", "é"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn a_parsed_code_round_trips(raw in "[a-zA-Z]{2}") {
            if let Ok(code) = CountryCode::parse(&raw) {
                prop_assert_eq!(code.as_str(), raw.to_ascii_uppercase());
                prop_assert_eq!(CountryCode::parse(code.as_str()), Ok(code));
            }
        }
    }
}
