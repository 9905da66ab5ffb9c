//! `run sql` output from the CLI: the `=`-underlined table parser.
#![no_main]
use ils_doctor::connect::sql_table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = sql_table::parse(&text) {
        for (i, row) in t.rows.iter().enumerate() {
            assert_eq!(row.len(), t.columns.len(), "every row has every column");
            let _ = t.get(i, t.columns.first().map_or("", String::as_str));
        }
    }
});
