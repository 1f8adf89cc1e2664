//! Chinese numerals, as shoppers write them in amounts, durations and dates.
//!
//! [`parse_number`] reads the forms that reach a shop's chat: plain Chinese numerals
//! (`十五`, `二十四`, `一百零五`, `两千`), their financial capitals (`壹佰贰拾`, used on receipts
//! and by some shoppers when talking money), Arabic digits with Chinese units (`3万`, `1.5万`),
//! the colloquial abbreviation that drops the last unit (`一百五` = 150, `三万五` = 35 000) and
//! `半` (0.5). Anything that is not a well-formed number is `None`: in particular two digits in
//! a row (`两三`, `三五`) are a *range*, not a number; [`parse_range_upper`] reads those.

/// `零` and `〇`: placeholders inside a number, or zero on their own.
fn is_zero(c: char) -> bool {
    matches!(c, '零' | '〇')
}

/// A non-zero digit, in ordinary or financial (大写) form.
fn digit(c: char) -> Option<u64> {
    Some(match c {
        '一' | '壹' => 1,
        '二' | '两' | '贰' | '貳' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Units inside a section of four digits.
fn small_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1_000,
        _ => return None,
    })
}

/// Units that close a section: 万 and 亿.
fn big_unit(c: char) -> Option<u64> {
    Some(match c {
        '万' | '萬' => 10_000,
        '亿' | '億' => 100_000_000,
        _ => return None,
    })
}

/// Whether `c` can be part of a number written in Chinese.
pub fn is_numeral_char(c: char) -> bool {
    is_zero(c) || digit(c).is_some() || small_unit(c).is_some() || big_unit(c).is_some()
}

/// A single digit, Chinese or Arabic, `0..=9`.
pub fn single_digit(c: char) -> Option<u64> {
    if is_zero(c) {
        return Some(0);
    }
    digit(c).or_else(|| c.to_digit(10).map(u64::from))
}

/// Reads a number: Chinese numerals, Arabic digits (with `,` grouping and a decimal part),
/// Arabic digits followed by Chinese units (`3万`, `1.5万`, `5千万`), or `半` (0.5).
pub fn parse_number(s: &str) -> Option<f64> {
    if s == "半" {
        return Some(0.5);
    }
    let arabic_len = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map_or(s.len(), |(i, _)| i);
    if arabic_len > 0 {
        let (arabic, units) = s.split_at(arabic_len);
        let mut value: f64 = arabic.replace(',', "").parse().ok()?;
        for c in units.chars() {
            value *= small_unit(c).or_else(|| big_unit(c))? as f64;
        }
        return Some(value);
    }
    let chars: Vec<char> = s.chars().collect();
    parse_integer(&chars).map(|n| n as f64)
}

/// Reads a Chinese range such as `两三`, `十七八`, `三四百`, `一百二三十` as its upper bound
/// (3, 18, 400, 130): exactly one pair of adjacent non-zero digits, of which the first is dropped.
pub fn parse_range_upper(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().collect();
    let pairs: Vec<usize> = (1..chars.len())
        .filter(|&i| digit(chars[i - 1]).is_some() && digit(chars[i]).is_some())
        .collect();
    let [i] = pairs[..] else { return None };
    let mut upper = chars;
    upper.remove(i - 1);
    parse_integer(&upper).map(|n| n as f64)
}

/// Reads digits written one by one, as in years: `二〇二六`, `二零二六` → 2026.
pub fn parse_digit_string(s: &str) -> Option<u64> {
    s.chars().try_fold(0u64, |acc, c| {
        let d = if is_zero(c) { 0 } else { digit(c)? };
        acc.checked_mul(10)?.checked_add(d)
    })
}

/// A whole number in Chinese numerals, split at its highest big unit (亿, then 万).
fn parse_integer(chars: &[char]) -> Option<u64> {
    if chars.is_empty() {
        return None;
    }
    if chars.iter().all(|&c| is_zero(c)) {
        return (chars.len() == 1).then_some(0);
    }
    for big in [100_000_000, 10_000] {
        if let Some(at) = chars.iter().position(|&c| big_unit(c) == Some(big)) {
            let head = parse_integer(&chars[..at])?;
            let tail = parse_tail(&chars[at + 1..], big)?;
            return head.checked_mul(big)?.checked_add(tail);
        }
    }
    parse_section(chars)
}

/// What follows a big unit: nothing, `零` and a smaller number (`一万零五百`), a lone digit that
/// stands for the next unit down (`三万五` = 35 000), or a full number below the unit.
fn parse_tail(chars: &[char], big: u64) -> Option<u64> {
    match chars {
        [] => Some(0),
        [c] if digit(*c).is_some() => digit(*c).map(|d| d * big / 10),
        [z, rest @ ..] if is_zero(*z) => parse_integer(rest).filter(|&n| n < big / 10),
        _ => parse_integer(chars).filter(|&n| n < big),
    }
}

/// A number below 10 000 with the units 千, 百 and 十. Units must decrease; `零` marks a skipped
/// unit; a leading `十` means 10; a last digit after a unit without `零` stands for the next unit
/// down (`一百五` = 150, `十五` = 15).
fn parse_section(chars: &[char]) -> Option<u64> {
    let mut total = 0;
    let mut pending: Option<u64> = None;
    let mut last_unit = 10_000;
    let mut after_zero = false;
    for (i, &c) in chars.iter().enumerate() {
        if is_zero(c) {
            if pending.is_some() || i == 0 {
                return None;
            }
            after_zero = true;
        } else if let Some(d) = digit(c) {
            if pending.is_some() {
                return None;
            }
            pending = Some(d);
        } else if let Some(unit) = small_unit(c) {
            if unit >= last_unit {
                return None;
            }
            let d = match pending.take() {
                Some(d) => d,
                None if i == 0 && unit == 10 => 1,
                None => return None,
            };
            total += d * unit;
            last_unit = unit;
            after_zero = false;
        } else {
            return None;
        }
    }
    match pending {
        Some(d) if after_zero || last_unit == 10_000 => Some(total + d),
        Some(d) => Some(total + d * last_unit / 10),
        None if after_zero => None,
        None => Some(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    const CAPITALS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];

    /// The standard written form of `n < 100 000_000`: `十五`, `一百零五`, `一万零一十`.
    /// `liang` writes a leading 2 before 百/千/万 as 两; `capitals` uses 大写 throughout.
    fn to_chinese(n: u64, liang: bool, capitals: bool) -> String {
        let digits = if capitals { CAPITALS } else { DIGITS };
        let units = if capitals {
            ["", "拾", "佰", "仟"]
        } else {
            ["", "十", "百", "千"]
        };
        if n == 0 {
            return digits[0].to_string();
        }
        let section = |s: u64, leading: bool| {
            let mut out = String::new();
            let mut need_zero = false;
            for pos in (0..4).rev() {
                let d = (s / 10u64.pow(pos)) % 10;
                if d == 0 {
                    need_zero = !out.is_empty();
                    continue;
                }
                if need_zero {
                    out.push_str(digits[0]);
                    need_zero = false;
                }
                let first = out.is_empty() && leading;
                if !(first && d == 1 && pos == 1 && !capitals) {
                    if first && d == 2 && pos >= 2 && liang {
                        out.push('两');
                    } else {
                        out.push_str(digits[d as usize]);
                    }
                }
                out.push_str(units[pos as usize]);
            }
            out
        };
        if n < 10_000 {
            return section(n, true);
        }
        let (high, low) = (n / 10_000, n % 10_000);
        let mut out = section(high, true);
        out.push('万');
        if low > 0 {
            if low < 1_000 {
                out.push_str(digits[0]);
            }
            out.push_str(&section(low, false));
        }
        out
    }

    #[test]
    fn the_formatter_writes_what_people_write() {
        assert_eq!(to_chinese(15, false, false), "十五");
        assert_eq!(to_chinese(105, false, false), "一百零五");
        assert_eq!(to_chinese(2000, true, false), "两千");
        assert_eq!(to_chinese(10_010, false, false), "一万零一十");
        assert_eq!(to_chinese(120, false, true), "壹佰贰拾");
    }

    #[test]
    fn numbers_people_write() {
        for (s, n) in [
            ("零", 0.0),
            ("〇", 0.0),
            ("十", 10.0),
            ("十五", 15.0),
            ("二十四", 24.0),
            ("一百零五", 105.0),
            ("两千", 2_000.0),
            ("一百五", 150.0),
            ("两千五", 2_500.0),
            ("三万五", 35_000.0),
            ("一万零五百", 10_500.0),
            ("十五万", 150_000.0),
            ("一亿", 100_000_000.0),
            ("壹佰贰拾", 120.0),
            ("伍拾", 50.0),
            ("3万", 30_000.0),
            ("1.5万", 15_000.0),
            ("5千万", 50_000_000.0),
            ("1,299", 1_299.0),
            ("99.5", 99.5),
            ("半", 0.5),
        ] {
            assert_eq!(parse_number(s), Some(n), "{s}");
        }
    }

    #[test]
    fn not_numbers() {
        for s in [
            "",
            "两三",
            "三五",
            "十十",
            "百十",
            "一零",
            "零五",
            "一百零",
            "万",
            "3个",
            "1.2.3",
        ] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn ranges_read_as_their_upper_bound() {
        for (s, n) in [
            ("两三", 3.0),
            ("三五", 5.0),
            ("十七八", 18.0),
            ("三四百", 400.0),
            ("一百二三十", 130.0),
        ] {
            assert_eq!(parse_range_upper(s), Some(n), "{s}");
        }
        assert_eq!(parse_range_upper("十五"), None);
        assert_eq!(parse_range_upper("一二三"), None);
    }

    #[test]
    fn years_digit_by_digit() {
        assert_eq!(parse_digit_string("二〇二六"), Some(2026));
        assert_eq!(parse_digit_string("二零二六"), Some(2026));
        assert_eq!(parse_digit_string("二十"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn formatting_then_parsing_gives_the_number_back(n in 0u64..100_000, liang: bool, capitals: bool) {
            let written = to_chinese(n, liang, capitals);
            prop_assert_eq!(parse_number(&written), Some(n as f64), "{}", written);
        }
    }

    #[test]
    fn every_number_below_100_000_round_trips() {
        for n in 0..100_000 {
            let written = to_chinese(n, n % 2 == 0, n % 3 == 0);
            assert_eq!(parse_number(&written), Some(n as f64), "{written}");
        }
    }
}
