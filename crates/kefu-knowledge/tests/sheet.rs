//! Knowledge-base import/export: Excel, CSV and JSONL files as shops make them.

use kefu_knowledge::sheet::{self, Format, RowError, SheetEntry, codes};
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};

fn entry(question: &str, answer: &str) -> SheetEntry {
    SheetEntry {
        question: question.into(),
        answer: answer.into(),
        ..SheetEntry::default()
    }
}

fn read_ok(format: Format, bytes: &[u8]) -> Vec<SheetEntry> {
    match sheet::read(format, bytes) {
        Ok(entries) => entries,
        Err(errors) => panic!("{format:?} read failed: {errors:#?}"),
    }
}

fn read_err(format: Format, bytes: &[u8]) -> Vec<RowError> {
    match sheet::read(format, bytes) {
        Ok(entries) => panic!("{format:?} read should fail, got {entries:#?}"),
        Err(errors) => errors,
    }
}

fn csv(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

/// A workbook as a shop makes one: an instructions sheet first, then the 百问百答 sheet with a
/// title row, Chinese headers in their own order, a column of notes the import ignores, a real
/// date cell, a date typed as text, a number typed in the 编号 column and a blank row.
fn shop_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("填写说明").expect("name");
    notes
        .write_string(0, 0, "每行一个问题，相似问题每行一个")
        .expect("write");

    let sheet = book.add_worksheet();
    sheet.set_name("百问百答").expect("name");
    let date = CellFormat::new().set_num_format("yyyy/m/d");
    sheet
        .write_string(0, 0, "XX母婴旗舰店 百问百答（2026 版）")
        .expect("write");
    let header = [
        "答案",
        "备注",
        "标准问题*",
        "生效日期",
        "相似问法",
        "编号",
        "分类",
        "状态",
        "失效日期",
    ];
    for (col, name) in (0u16..).zip(header) {
        sheet.write_string(1, col, name).expect("write");
    }
    // Row 3 in Excel.
    sheet
        .write_string(2, 0, "  亲，一般48小时内发货哦～  ")
        .expect("write");
    sheet.write_string(2, 1, "运营：小王").expect("write");
    sheet.write_string(2, 2, "什么时候发货").expect("write");
    let day = ExcelDateTime::from_ymd(2026, 12, 1).expect("date");
    sheet
        .write_date_with_format(2, 3, &day, &date)
        .expect("write");
    sheet
        .write_string(2, 4, "几天发货\n什么时候能发｜多久发货\n几天发货")
        .expect("write");
    sheet.write_string(2, 5, "kb-001").expect("write");
    sheet.write_string(2, 6, "物流，发货").expect("write");
    sheet.write_string(2, 7, "已发布").expect("write");
    sheet.write_string(2, 8, "2026年12月31日").expect("write");
    // Row 4 is blank. Row 5:
    sheet
        .write_string(4, 0, "支持7天无理由退货，请在订单页申请。")
        .expect("write");
    sheet.write_string(4, 2, "可以退货吗").expect("write");
    sheet.write_number(4, 5, 2).expect("write");
    sheet.write_string(4, 6, "售后|退货").expect("write");
    sheet.write_string(4, 7, "draft").expect("write");
    book.save_to_buffer().expect("xlsx")
}

#[test]
fn reads_a_workbook_as_shops_make_it() {
    let entries = read_ok(Format::Xlsx, &shop_workbook());
    assert_eq!(
        entries,
        [
            SheetEntry {
                key: Some("kb-001".into()),
                question: "什么时候发货".into(),
                similar: vec!["几天发货".into(), "什么时候能发".into(), "多久发货".into()],
                answer: "亲，一般48小时内发货哦～".into(),
                tags: vec!["物流".into(), "发货".into()],
                products: vec![],
                valid_from: Some("2026-12-01".into()),
                valid_to: Some("2026-12-31".into()),
                status: Some("published".into()),
            },
            SheetEntry {
                key: Some("2".into()),
                question: "可以退货吗".into(),
                answer: "支持7天无理由退货，请在订单页申请。".into(),
                tags: vec!["售后".into(), "退货".into()],
                status: Some("draft".into()),
                ..SheetEntry::default()
            },
        ]
    );
}

#[test]
fn workbook_errors_name_the_excel_row_and_the_column_as_written() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in (0u16..).zip(["问题", "回复", "开始日期", "结束日期"]) {
        sheet.write_string(0, col, name).expect("write");
    }
    sheet.write_string(1, 0, "在吗").expect("write");
    sheet.write_string(1, 1, "在的").expect("write");
    // Rows 3 and 4 blank; row 5 has no answer, row 6 ends before it starts.
    sheet.write_string(4, 0, "发票").expect("write");
    sheet.write_string(5, 0, "活动").expect("write");
    sheet.write_string(5, 1, "双十二").expect("write");
    sheet.write_string(5, 2, "2026-12-12").expect("write");
    sheet.write_number(5, 3, 46357).expect("write"); // 2026-12-01 as a serial number
    let bytes = book.save_to_buffer().expect("xlsx");
    let errors = read_err(Format::Xlsx, &bytes);
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.row, e.column.as_deref(), e.code))
        .collect();
    assert_eq!(
        got,
        [
            (5, Some("回复"), codes::ANSWER_REQUIRED),
            (6, Some("结束日期"), codes::BAD_DATE_RANGE),
        ]
    );
    assert!(
        errors[1].message.contains("2026-12-01"),
        "{}",
        errors[1].message
    );
}

#[test]
fn written_workbook_has_one_sheet_named_knowledge_base_with_chinese_headers() {
    use calamine::{Data, Reader, Xlsx};
    let bytes = sheet::write(Format::Xlsx, &[entry("在吗", "在的")]).expect("write");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
    assert_eq!(book.sheet_names(), ["知识库"]);
    let range = book.worksheet_range("知识库").expect("sheet");
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|cell| match cell {
            Data::String(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        header,
        [
            "编号",
            "标准问题",
            "相似问题",
            "答案",
            "标签",
            "适用商品",
            "生效日期",
            "失效日期",
            "状态"
        ]
    );
}

#[test]
fn an_empty_export_is_the_template_and_reads_back_empty() {
    for format in [Format::Xlsx, Format::Csv, Format::Jsonl] {
        let bytes = sheet::write(format, &[]).expect("write");
        assert_eq!(read_ok(format, &bytes), [], "{format:?}");
    }
}

#[test]
fn csv_as_excel_saves_it() {
    // BOM, English headers in another order, a quoted cell over two lines, CRLF, an unknown
    // column, a blank line.
    let text = "\u{feff}Answer,Question,Similar,Note,Tags,Valid_From\r\n\
                \"亲，在的～\r\n请问有什么可以帮您？\",在吗,\"你好\r\n有人吗\",x,接待,2026/1/5\r\n\
                \r\n\
                \"买\"\"二送一\"\"\",有活动吗,,,\"活动, 优惠\",\r\n";
    let entries = read_ok(Format::Csv, text.as_bytes());
    assert_eq!(
        entries,
        [
            SheetEntry {
                question: "在吗".into(),
                similar: vec!["你好".into(), "有人吗".into()],
                answer: "亲，在的～\n请问有什么可以帮您？".into(),
                tags: vec!["接待".into()],
                valid_from: Some("2026-01-05".into()),
                ..SheetEntry::default()
            },
            SheetEntry {
                question: "有活动吗".into(),
                answer: "买\"二送一\"".into(),
                tags: vec!["活动".into(), "优惠".into()],
                ..SheetEntry::default()
            },
        ]
    );
}

#[test]
fn csv_rows_are_counted_as_excel_shows_them() {
    // Header row 1; a two-line quoted cell is still row 2; a blank line is row 3; row 4 is bad.
    let text = "问题,答案\n在吗,\"在的\n您说\"\n\n发票,\n";
    let errors = read_err(Format::Csv, text.as_bytes());
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].row, errors[0].column.as_deref(), errors[0].code),
        (4, Some("答案"), codes::ANSWER_REQUIRED)
    );
}

#[test]
fn tab_separated_text_is_read_too() {
    let entries = read_ok(Format::Csv, "标准问题\t答案\n在吗\t在的\n".as_bytes());
    assert_eq!(entries, [entry("在吗", "在的")]);
}

#[test]
fn csv_export_defuses_formulas_and_reads_them_back() {
    let entries = [entry("=1+1", "-先拍下\n-再付款")];
    let bytes = sheet::write(Format::Csv, &entries).expect("write");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("'=1+1"), "{text}");
    assert!(text.contains("\"'-先拍下\n-再付款\""), "{text}");
    assert_eq!(read_ok(Format::Csv, &bytes), entries);
}

#[test]
fn gbk_csv_is_refused_with_how_to_save_utf8() {
    // "问题,答案\n在吗,在的\n" in GBK.
    let gbk: &[u8] = b"\xce\xca\xcc\xe2,\xb4\xf0\xb0\xb8\n\xd4\xda\xc2\xf0,\xd4\xda\xb5\xc4\n";
    let errors = read_err(Format::Csv, gbk);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].code), (0, codes::UNREADABLE));
    assert!(errors[0].message.contains("UTF-8"), "{}", errors[0].message);
    assert!(
        errors[0].message.contains("CSV UTF-8"),
        "{}",
        errors[0].message
    );
}

#[test]
fn the_demo_knowledge_base_reads_and_round_trips_through_every_format() {
    let kb = include_bytes!("../../kefu-demo/data/kb.jsonl");
    let entries = read_ok(Format::Jsonl, kb);
    assert_eq!(entries.len(), 136);
    assert_eq!(entries[0].key.as_deref(), Some("kb-001"));
    assert!(
        entries
            .iter()
            .any(|e| e.valid_from.as_deref() == Some("2026-11-01"))
    );
    for format in [Format::Xlsx, Format::Csv, Format::Jsonl] {
        let bytes = sheet::write(format, &entries).expect("write");
        assert_eq!(read_ok(format, &bytes), entries, "{format:?}");
    }
}

#[test]
fn jsonl_export_is_what_eval_faq_reads() {
    let mut one = entry("在吗", "在的");
    one.key = Some("kb-001".into());
    one.similar = vec!["有人吗".into()];
    let bytes = sheet::write(Format::Jsonl, &[one]).expect("write");
    let text = String::from_utf8(bytes).expect("utf-8");
    let line: kefu_knowledge::eval::KbLine = serde_json::from_str(text.trim_end()).expect("KbLine");
    assert_eq!(line.id, "kb-001");
    assert_eq!(line.similar, ["有人吗"]);
    assert!(
        text.starts_with(
            r#"{"id":"kb-001","question":"在吗","similar":["有人吗"],"answer":"在的""#
        ),
        "{text}"
    );
}

#[test]
fn jsonl_takes_lenient_shapes() {
    let text = concat!(
        r#"{"key": 7, "Question": " 在吗 ", "similar": "你好|有人吗", "answer": "在的", "tags": ["接待", null], "status": "已发布"}"#,
        "\n\n",
        r#"{"id": null, "question": "发票", "answer": "可以开", "valid_from": 20261201, "extra": {"x": 1}}"#,
        "\n",
    );
    let entries = read_ok(Format::Jsonl, text.as_bytes());
    assert_eq!(
        entries,
        [
            SheetEntry {
                key: Some("7".into()),
                question: "在吗".into(),
                similar: vec!["你好".into(), "有人吗".into()],
                answer: "在的".into(),
                tags: vec!["接待".into()],
                status: Some("published".into()),
                ..SheetEntry::default()
            },
            SheetEntry {
                valid_from: Some("2026-12-01".into()),
                ..entry("发票", "可以开")
            },
        ]
    );
}

#[test]
fn lists_split_on_every_separator_and_drop_blanks_repeats_and_the_question_itself() {
    let text = "标准问题,答案,相似问题,标签,适用商品\n\
                在吗,在的,\"有人吗|在不在｜亲；客服;在吗\n\n有人吗\",\"a，b,c|a\",\"奶粉1段，奶粉2段\"\n";
    let entries = read_ok(Format::Csv, text.as_bytes());
    assert_eq!(entries[0].similar, ["有人吗", "在不在", "亲", "客服"]);
    assert_eq!(entries[0].tags, ["a", "b", "c"]);
    assert_eq!(entries[0].products, ["奶粉1段", "奶粉2段"]);
}

#[test]
fn a_tag_holding_a_separator_cannot_be_written_to_a_sheet() {
    let mut one = entry("在吗", "在的");
    one.tags = vec!["物流,发货".into()];
    for format in [Format::Xlsx, Format::Csv] {
        let error = sheet::write(format, std::slice::from_ref(&one)).expect_err("refused");
        assert_eq!(error.code(), codes::UNREPRESENTABLE);
        assert!(error.to_string().contains("物流,发货"));
    }
    let bytes = sheet::write(Format::Jsonl, &[one.clone()]).expect("jsonl keeps it");
    assert_eq!(read_ok(Format::Jsonl, &bytes), [one]);
}

#[test]
fn length_limits_count_characters_not_bytes() {
    let question = "问".repeat(200);
    let answer = "答".repeat(2000);
    let text = format!("问题,答案\n{question},{answer}\n");
    assert_eq!(read_ok(Format::Csv, text.as_bytes()).len(), 1);
}

/// A CSV of header `问题,答案,…` with one data row, or several.
struct Case {
    name: &'static str,
    format: Format,
    file: Vec<u8>,
    /// (row, column, code) of every error, in order.
    want: Vec<(usize, Option<&'static str>, &'static str)>,
}

fn cases() -> Vec<Case> {
    let full = "编号,问题,相似问题,答案,生效日期,失效日期,状态\n";
    let row = |cells: &str| csv(&format!("{full}{cells}\n"));
    let similar = (0..51)
        .map(|i| format!("问法{i}"))
        .collect::<Vec<_>>()
        .join("|");
    let many_rows = {
        let mut text = String::from("问题,答案\n");
        for i in 0..5001 {
            text.push_str(&format!("问题{i},答案\n"));
        }
        csv(&text)
    };
    let at_limit = {
        let mut text = String::from("问题,答案\n");
        for i in 0..5000 {
            text.push_str(&format!("问题{i},答案\n"));
        }
        text.push_str(",\n,,\n");
        csv(&text)
    };
    vec![
        Case {
            name: "question_required",
            format: Format::Csv,
            file: row("kb-1,,,在的,,,"),
            want: vec![(2, Some("问题"), codes::QUESTION_REQUIRED)],
        },
        Case {
            name: "answer_required (whitespace only)",
            format: Format::Csv,
            file: row("kb-1,在吗,,\u{3000} ,,,"),
            want: vec![(2, Some("答案"), codes::ANSWER_REQUIRED)],
        },
        Case {
            name: "both required on one row",
            format: Format::Csv,
            file: row("kb-1,,,,,,"),
            want: vec![
                (2, Some("问题"), codes::QUESTION_REQUIRED),
                (2, Some("答案"), codes::ANSWER_REQUIRED),
            ],
        },
        Case {
            name: "question too long",
            format: Format::Csv,
            file: row(&format!(",{},,在的,,,", "问".repeat(201))),
            want: vec![(2, Some("问题"), codes::TOO_LONG)],
        },
        Case {
            name: "answer too long",
            format: Format::Csv,
            file: row(&format!(",在吗,,{},,,", "答".repeat(2001))),
            want: vec![(2, Some("答案"), codes::TOO_LONG)],
        },
        Case {
            name: "similar question too long",
            format: Format::Csv,
            file: row(&format!(",在吗,{},在的,,,", "问".repeat(201))),
            want: vec![(2, Some("相似问题"), codes::TOO_LONG)],
        },
        Case {
            name: "key too long",
            format: Format::Csv,
            file: row(&format!("{},在吗,,在的,,,", "k".repeat(65))),
            want: vec![(2, Some("编号"), codes::TOO_LONG)],
        },
        Case {
            name: "too_many_similar",
            format: Format::Csv,
            file: row(&format!(",在吗,{similar},在的,,,")),
            want: vec![(2, Some("相似问题"), codes::TOO_MANY_SIMILAR)],
        },
        Case {
            name: "bad_status",
            format: Format::Csv,
            file: row(",在吗,,在的,,,已删除"),
            want: vec![(2, Some("状态"), codes::BAD_STATUS)],
        },
        Case {
            name: "bad_date",
            format: Format::Csv,
            file: row(",在吗,,在的,2026-02-30,下周,"),
            want: vec![
                (2, Some("生效日期"), codes::BAD_DATE),
                (2, Some("失效日期"), codes::BAD_DATE),
            ],
        },
        Case {
            name: "bad_date_range",
            format: Format::Csv,
            file: row(",在吗,,在的,2026年12月12日,2026/12/1,"),
            want: vec![(2, Some("失效日期"), codes::BAD_DATE_RANGE)],
        },
        Case {
            name: "duplicate key and duplicate question",
            format: Format::Csv,
            file: row("kb-1,在吗,,在的,,,\nkb-1,发票,,可以,,,\nkb-2, 在吗 ,,在的,,,"),
            want: vec![
                (3, Some("编号"), codes::DUPLICATE),
                (4, Some("问题"), codes::DUPLICATE),
            ],
        },
        Case {
            name: "missing_column",
            format: Format::Csv,
            file: csv("问题,相似问题\n在吗,你好\n"),
            want: vec![(1, Some("答案"), codes::MISSING_COLUMN)],
        },
        Case {
            name: "no header at all",
            format: Format::Csv,
            file: csv("\n\n"),
            want: vec![(1, Some("标准问题"), codes::MISSING_COLUMN)],
        },
        Case {
            name: "duplicate_column",
            format: Format::Csv,
            file: csv("问题,答案,标准问题\n在吗,在的,在吗\n"),
            want: vec![(1, Some("标准问题"), codes::DUPLICATE_COLUMN)],
        },
        Case {
            name: "too_many_rows",
            format: Format::Csv,
            file: many_rows,
            want: vec![(5002, None, codes::TOO_MANY_ROWS)],
        },
        Case {
            name: "unreadable csv (GBK)",
            format: Format::Csv,
            file: b"\xce\xca\xcc\xe2,\xb4\xf0\xb0\xb8\n".to_vec(),
            want: vec![(0, None, codes::UNREADABLE)],
        },
        Case {
            name: "unreadable csv (an xlsx)",
            format: Format::Csv,
            file: shop_workbook(),
            want: vec![(0, None, codes::UNREADABLE)],
        },
        Case {
            name: "unreadable xlsx (a csv)",
            format: Format::Xlsx,
            file: csv("问题,答案\n在吗,在的\n"),
            want: vec![(0, None, codes::UNREADABLE)],
        },
        Case {
            name: "unreadable xlsx (a broken zip)",
            format: Format::Xlsx,
            file: shop_workbook()[..200].to_vec(),
            want: vec![(0, None, codes::UNREADABLE)],
        },
        Case {
            name: "unreadable jsonl",
            format: Format::Jsonl,
            file: b"{\"question\": \"\xd4\xda\"}\n".to_vec(),
            want: vec![(0, None, codes::UNREADABLE)],
        },
        Case {
            name: "bad_json",
            format: Format::Jsonl,
            file: csv("{\"question\":\"在吗\",\"answer\":\"在的\"}\n{oops\n[1]\n"),
            want: vec![(2, None, codes::BAD_JSON), (3, None, codes::BAD_JSON)],
        },
        Case {
            name: "bad_value",
            format: Format::Jsonl,
            file: csv("{\"question\":\"在吗\",\"answer\":[\"在的\"],\"similar\":{\"a\":1}}\n"),
            want: vec![
                (1, Some("answer"), codes::BAD_VALUE),
                (1, Some("similar"), codes::BAD_VALUE),
            ],
        },
        Case {
            name: "jsonl row errors name the field",
            format: Format::Jsonl,
            file: csv(
                "{\"question\":\"在吗\",\"answer\":\"在的\",\"status\":\"gone\"}\n{\"question\":\"在吗\",\"answer\":\"\"}\n",
            ),
            want: vec![
                (1, Some("status"), codes::BAD_STATUS),
                (2, Some("answer"), codes::ANSWER_REQUIRED),
                (2, Some("question"), codes::DUPLICATE),
            ],
        },
        Case {
            name: "5000 rows and blank ones are within the limit (control)",
            format: Format::Csv,
            file: at_limit,
            want: vec![],
        },
    ]
}

#[test]
fn every_error_code_is_reported_where_it_belongs() {
    let mut covered = std::collections::HashSet::new();
    for case in cases() {
        let got = match sheet::read(case.format, &case.file) {
            Ok(_) => vec![],
            Err(errors) => {
                for error in &errors {
                    assert!(!error.message.is_empty(), "{}", case.name);
                    assert!(codes::ALL.contains(&error.code), "{}", case.name);
                    covered.insert(error.code);
                }
                errors
                    .into_iter()
                    .map(|e| (e.row, e.column, e.code))
                    .collect::<Vec<_>>()
            }
        };
        let got: Vec<_> = got
            .iter()
            .map(|(row, column, code)| (*row, column.as_deref(), *code))
            .collect();
        assert_eq!(got, case.want, "{}", case.name);
    }
    for code in codes::ALL {
        if ![codes::UNREPRESENTABLE, codes::WRITE_FAILED].contains(code) {
            assert!(covered.contains(code), "no case reports {code}");
        }
    }
}

#[test]
fn one_bad_row_means_no_entries_at_all() {
    let text = "问题,答案\n在吗,在的\n发票,\n退款,可以\n";
    let errors = read_err(Format::Csv, text.as_bytes());
    assert_eq!(errors.len(), 1);
}

// ---- hostile workbooks: an import takes files from outside ----

/// `xlsx` with one part's XML edited.
fn with_part(xlsx: &[u8], part: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let name = file.name().expect("name").to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("inflate");
        if name == part {
            data = edit(String::from_utf8(data).expect("utf-8")).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

fn unreadable(errors: &[RowError]) -> bool {
    matches!(
        errors,
        [RowError {
            row: 0,
            code: "unreadable",
            ..
        }]
    )
}

#[test]
fn a_workbook_claiming_billions_of_strings_is_refused_not_allocated() {
    // calamine reserves room for the declared count on opening; 2^32 strings is ~100 GB.
    let bytes = with_part(&shop_workbook(), "xl/sharedStrings.xml", |xml| {
        let at = xml.find("uniqueCount=\"").expect("uniqueCount") + "uniqueCount=\"".len();
        let end = at + xml[at..].find('"').expect("quote");
        format!("{}4294967296{}", &xml[..at], &xml[end..])
    });
    assert!(unreadable(&read_err(Format::Xlsx, &bytes)));
}

#[test]
fn a_stray_cell_far_away_costs_nothing() {
    // A dense range over A1:XFD1048576 would be 17 billion cells.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "问题").expect("write");
    sheet.write_string(0, 1, "答案").expect("write");
    sheet.write_string(1, 0, "在吗").expect("write");
    sheet.write_string(1, 1, "在的").expect("write");
    sheet.write_string(1_048_575, 16_383, " x").expect("write");
    sheet.write_string(1_048_575, 200, "备注").expect("write");
    let bytes = book.save_to_buffer().expect("xlsx");
    assert_eq!(read_ok(Format::Xlsx, &bytes), [entry("在吗", "在的")]);
}

#[test]
fn a_malformed_cell_reference_is_an_error_not_a_panic() {
    // calamine's column arithmetic overflows on this (a panic in debug builds).
    let bytes = with_part(&shop_workbook(), "xl/worksheets/sheet2.xml", |xml| {
        xml.replacen(" r=\"A3\"", " r=\"ZZZZZZZZZZZZZZZZ3\"", 1)
    });
    if let Err(errors) = sheet::read(Format::Xlsx, &bytes) {
        assert!(unreadable(&errors), "{errors:?}");
    }
}

#[test]
fn an_old_xls_file_is_refused_with_how_to_resave_it() {
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(512, 0);
    let errors = read_err(Format::Xlsx, &xls);
    assert!(unreadable(&errors));
    assert!(errors[0].message.contains(".xlsx"), "{}", errors[0].message);
}

// ---- properties ----

const ATOMS: &[&str] = &[
    "退款", "发货", "發貨", "質量", "亲", "😀", "👍🏻", "🇨🇳", "a", "Z", "7", " ", "，", "。", "？",
    "「", "」", "'", "\"", "=", "-", "+", "@", "_", "x000D", "&", "<", ">", "、", "~",
];
/// What answers may hold besides: separators a cell must keep.
const ANSWER_ATOMS: &[&str] = &[",", "|", "｜", ";", "；", "\n", "\n\n", "\t", "\"\"", "\\"];

fn text(atoms: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(atoms), 1..max).prop_map(|parts| {
        let joined = parts.concat();
        let trimmed = joined.trim();
        if trimmed.is_empty() {
            "问".to_string()
        } else {
            trimmed.to_string()
        }
    })
}

fn answer_text() -> impl Strategy<Value = String> {
    let all: &'static [&'static str] = Box::leak([ATOMS, ANSWER_ATOMS].concat().into_boxed_slice());
    text(all, 60)
}

fn unique(items: Vec<String>, not: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if item != not && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn date() -> impl Strategy<Value = (u16, u8, u8)> {
    (1990u16..2100, 1u8..=12, 1u8..=28)
}

fn arbitrary_entry() -> impl Strategy<Value = SheetEntry> {
    (
        prop::option::of(text(&["kb", "-", "0", "1", "9", "编号", "A"], 6)),
        text(ATOMS, 12),
        prop::collection::vec(text(ATOMS, 8), 0..6),
        answer_text(),
        prop::collection::vec(text(&["物流", "售后", "a", "😀", "奶粉", "1段"], 4), 0..4),
        prop::collection::vec(text(&["奶粉", "1段", "纸尿裤", "L码", " "], 4), 0..3),
        prop::option::of((date(), prop::option::of(0u16..800))),
        prop::option::of(prop::sample::select(
            &["draft", "in_review", "published", "retired"][..],
        )),
    )
        .prop_map(
            |(key, question, similar, answer, tags, products, dates, status)| {
                let ymd = |(y, m, d): (u16, u8, u8)| format!("{y:04}-{m:02}-{d:02}");
                let (valid_from, valid_to) = match dates {
                    None => (None, None),
                    Some((from, None)) => (Some(ymd(from)), None),
                    Some(((y, m, d), Some(days))) => {
                        let to = (y + days / 300, m, d.max(1));
                        (Some(ymd((y, m, d))), Some(ymd(to)))
                    }
                };
                SheetEntry {
                    key,
                    similar: unique(similar, &question),
                    question,
                    answer,
                    tags: unique(tags, ""),
                    products: unique(products, ""),
                    valid_from,
                    valid_to,
                    status: status.map(str::to_string),
                }
            },
        )
}

/// Entries a reader could have produced: codes and questions distinct.
fn arbitrary_entries() -> impl Strategy<Value = Vec<SheetEntry>> {
    prop::collection::vec(arbitrary_entry(), 0..6).prop_map(|mut entries| {
        for (i, entry) in entries.iter_mut().enumerate() {
            if let Some(key) = &mut entry.key {
                key.push_str(&format!("#{i}"));
            }
            entry.question.push_str(&format!("{i}"));
            let question = entry.question.clone();
            entry.similar.retain(|s| *s != question);
        }
        entries
    })
}

proptest! {
    #[test]
    fn entries_round_trip_through_csv(entries in arbitrary_entries()) {
        let bytes = sheet::write(Format::Csv, &entries).expect("write");
        prop_assert_eq!(sheet::read(Format::Csv, &bytes), Ok(entries));
    }

    #[test]
    fn entries_round_trip_through_jsonl(entries in arbitrary_entries()) {
        let bytes = sheet::write(Format::Jsonl, &entries).expect("write");
        prop_assert_eq!(sheet::read(Format::Jsonl, &bytes), Ok(entries));
    }

    #[test]
    fn entries_round_trip_through_xlsx(entries in arbitrary_entries()) {
        let bytes = sheet::write(Format::Xlsx, &entries).expect("write");
        prop_assert_eq!(sheet::read(Format::Xlsx, &bytes), Ok(entries));
    }

    #[test]
    fn reading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for format in [Format::Xlsx, Format::Csv, Format::Jsonl] {
            let _ = sheet::read(format, &bytes);
        }
    }

    #[test]
    fn reading_arbitrary_text_never_panics(text in "(?s).{0,300}") {
        for format in [Format::Xlsx, Format::Csv, Format::Jsonl] {
            let _ = sheet::read(format, text.as_bytes());
        }
    }

    #[test]
    fn reading_text_made_of_sheet_pieces_never_panics(
        parts in prop::collection::vec(prop::sample::select(&[
            "问题", "答案", "相似问题", "标签", "生效日期", "状态", ",", "\n", "\r\n", "\"", "|",
            "{", "}", "[", "]", ":", "null", "\"question\"", "\"answer\"", "\"similar\"", "2026-12-01",
            "20261301", "已发布", "\u{feff}", "\t", "'", "=", "1", " ",
        ][..]), 0..80)
    ) {
        let text = parts.concat();
        for format in [Format::Csv, Format::Jsonl] {
            let _ = sheet::read(format, text.as_bytes());
        }
    }

    #[test]
    fn reading_a_damaged_workbook_never_panics(
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = shop_workbook();
        for (at, byte) in damage {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            let keep = cut.index(bytes.len());
            bytes.truncate(keep.max(4));
        }
        let _ = sheet::read(Format::Xlsx, &bytes);
    }
}
