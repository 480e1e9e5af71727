//! Bulk tracking upload from a CSV file, the way sellers and their 3PLs keep
//! tracking IDs in a spreadsheet. One row is one tracking number for one box (or
//! for every freight unit of an LTL/FTL shipment when `boxId` is empty). Each row
//! passes through the same validation as a typed entry; a bad row is rejected by
//! its line number and the good rows are kept.
//!
//! The header names the columns, in any order. English and Chinese names are
//! both understood, compared without case, spaces, `_` or `-`:
//!
//! | column | also accepted | required |
//! |---|---|---|
//! | `shipmentId` | `FBA shipment id`, `货件编号`, `货件ID` | yes |
//! | `boxId` | `箱号` | no (empty: every freight unit) |
//! | `carrier` | `carrierCode`, `承运商`, `承运人` | yes |
//! | `trackingNumber` | `trackingId`, `追踪编码`, `跟踪号`, `运单号` | yes |
//! | `mode` | `legMode`, `运输方式` | no (`SMALL_PARCEL`) |

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use tracklane_core::{CarrierCode, LegMode, Problem, TrackingSource};
use tracklane_store::{ItemOutcome, Principal, ShipmentKey, Store, StoreError};

use crate::{IngestError, TrackingItem, assign_tracking};

/// The most rows one file may carry.
pub const IMPORT_ROWS_MAX: usize = 10_000;
/// Shipments whose rows are stored at the same time; the store's writer commits
/// concurrent requests together.
const SHIPMENTS_IN_FLIGHT_MAX: usize = 32;

/// What became of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows read (the header not counted).
    pub rows: usize,
    /// Rows whose number was attached.
    pub accepted: usize,
    /// Rows that repeated a number already attached.
    pub duplicates: usize,
    /// Rows refused, each with its line in the file and its problem.
    pub rejected: Vec<RowRejection>,
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRejection {
    /// Its line in the file, counting the header as line 1.
    pub line: usize,
    /// What was wrong.
    pub problem: Problem,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Shipment,
    Box,
    Carrier,
    Number,
    Mode,
}

impl Column {
    fn of(header: &str) -> Option<Self> {
        let key: String = header
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "shipmentid" | "fbashipmentid" | "shipmentconfirmationid" | "货件编号" | "货件id" => {
                Self::Shipment
            }
            "boxid" | "箱号" => Self::Box,
            "carrier" | "carriercode" | "承运商" | "承运人" => Self::Carrier,
            "trackingnumber" | "trackingid" | "追踪编码" | "跟踪号" | "运单号" => {
                Self::Number
            }
            "mode" | "legmode" | "运输方式" => Self::Mode,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Shipment => "shipmentId",
            Self::Box => "boxId",
            Self::Carrier => "carrier",
            Self::Number => "trackingNumber",
            Self::Mode => "mode",
        }
    }
}

/// A row that parsed, waiting for its shipment's turn.
struct Row {
    line: usize,
    item: TrackingItem,
}

/// Reads a CSV file of tracking numbers and attaches the valid rows for `actor`
/// (a seller, to its own shipments, or the operator). Numbers are recorded as
/// imported. Returns after every accepted row is committed.
///
/// # Errors
/// [`IngestError::Body`] when the file is not UTF-8 CSV or its header lacks a
/// required column, [`IngestError::TooManyRows`] over [`IMPORT_ROWS_MAX`] rows, and
/// [`IngestError::Store`] when the store fails; rows stored before the failure stay
/// stored, and importing the same file again is harmless (duplicates are counted,
/// not stored twice).
pub async fn import_tracking(
    store: &dyn Store,
    actor: &Principal,
    csv_bytes: &[u8],
    now: Timestamp,
) -> Result<ImportReport, IngestError> {
    let (rows, mut report) = parse_rows(csv_bytes)?;
    let mut by_shipment: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for (shipment, row) in rows {
        by_shipment.entry(shipment).or_default().push(row);
    }
    let mut groups = by_shipment.into_iter();
    loop {
        let wave: Vec<(String, Vec<Row>)> = groups.by_ref().take(SHIPMENTS_IN_FLIGHT_MAX).collect();
        if wave.is_empty() {
            break;
        }
        let results =
            futures_util::future::join_all(wave.into_iter().map(|(shipment, rows)| async move {
                let (lines, items): (Vec<usize>, Vec<TrackingItem>) =
                    rows.into_iter().map(|r| (r.line, r.item)).unzip();
                let outcome = assign_tracking(
                    store,
                    actor,
                    &ShipmentKey::new(&shipment),
                    items,
                    TrackingSource::Import,
                    now,
                )
                .await;
                (shipment, lines, outcome)
            }))
            .await;
        for (shipment, lines, outcome) in results {
            match outcome {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        match outcome {
                            ItemOutcome::Accepted { .. } => report.accepted += 1,
                            ItemOutcome::Duplicate { .. } => report.duplicates += 1,
                            ItemOutcome::Rejected { index, mut problem } => {
                                problem.field = strip_prefix(&problem.field);
                                report.rejected.push(RowRejection {
                                    line: lines[index],
                                    problem,
                                });
                            }
                        }
                    }
                }
                Err(IngestError::Store(StoreError::NotFound { .. })) => {
                    report.rejected.extend(lines.into_iter().map(|line| RowRejection {
                        line,
                        problem: Problem::new(
                            "shipment.not_found",
                            "shipmentId",
                            format!(
                                "line {line}: shipment {shipment} was not found among your shipments: check the id (sh… or FBA…)"
                            ),
                            format!("第 {line} 行：在您的货件中找不到 {shipment}：请核对货件编号（sh… 或 FBA…）"),
                        ),
                    }));
                }
                Err(e) => return Err(e),
            }
        }
    }
    report.rejected.sort_by_key(|r| r.line);
    Ok(report)
}

/// Problems from the tracking path name `row.trackingId`; a file has columns.
fn strip_prefix(field: &str) -> String {
    match field.rsplit_once('.') {
        Some((_, "trackingId")) => "trackingNumber".into(),
        Some((_, last)) => last.into(),
        None => field.into(),
    }
}

/// Parses the header and every row; rows that cannot be read become rejections.
fn parse_rows(bytes: &[u8]) -> Result<(Vec<(String, Row)>, ImportReport), IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        IngestError::Body(Problem::new(
            "csv.encoding",
            "",
            format!(
                "the file is not UTF-8 (first bad byte at offset {}): save it as \"CSV UTF-8\"",
                e.valid_up_to()
            ),
            format!(
                "文件不是 UTF-8 编码（第 {} 字节起无法识别）：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
                e.valid_up_to()
            ),
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Excel ends lines with CRLF, and browsers send a form's text so; the
    // reader's line numbers come out one short for such lines, so the
    // line ends are made plain first.
    let text = text.replace("\r\n", "\n");
    let text = text.as_str();
    // Rows copied out of a spreadsheet and pasted are separated by tabs.
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') && !header_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| body_problem(&format!("the header cannot be read ({e})")))?
        .clone();
    let columns: Vec<Option<Column>> = header.iter().map(Column::of).collect();
    for required in [Column::Shipment, Column::Carrier, Column::Number] {
        if !columns.contains(&Some(required)) {
            let name = required.name();
            return Err(IngestError::Body(Problem::new(
                "csv.column_missing",
                name,
                format!(
                    "the header has no {name} column: the first line must name the columns, e.g. shipmentId,boxId,carrier,trackingNumber"
                ),
                format!(
                    "表头缺少 {name} 列：第一行须写列名，例如 shipmentId,boxId,carrier,trackingNumber（或 货件编号,箱号,承运商,追踪编码）"
                ),
            )));
        }
    }
    let mut rows = Vec::new();
    let mut report = ImportReport::default();
    for record in reader.records() {
        report.rows += 1;
        if report.rows > IMPORT_ROWS_MAX {
            return Err(IngestError::TooManyRows {
                max: IMPORT_ROWS_MAX,
            });
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(report.rows + 1, |p| p.line() as usize);
                report.rejected.push(RowRejection {
                    line,
                    problem: Problem::new(
                        "csv.row",
                        "",
                        format!("line {line} cannot be read ({e}): check its quotes"),
                        format!("第 {line} 行无法读取：请检查引号是否成对"),
                    ),
                });
                continue;
            }
        };
        let line = record
            .position()
            .map_or(report.rows + 1, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            report.rows -= 1;
            continue;
        }
        let cell = |want: Column| -> &str {
            columns
                .iter()
                .position(|c| *c == Some(want))
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        match row(line, &cell) {
            Ok((shipment, item)) => rows.push((shipment, Row { line, item })),
            Err(problem) => report.rejected.push(RowRejection { line, problem }),
        }
    }
    Ok((rows, report))
}

fn row<'r>(
    line: usize,
    cell: &dyn Fn(Column) -> &'r str,
) -> Result<(String, TrackingItem), Problem> {
    let required = |column: Column, example: &str| -> Result<&'r str, Problem> {
        let value = cell(column);
        if value.is_empty() {
            let name = column.name();
            Err(Problem::new(
                "field.required",
                name,
                format!("line {line}: {name} is empty: fill it in, for example {example}"),
                format!("第 {line} 行：{name} 为空：请填写，例如 {example}"),
            ))
        } else {
            Ok(value)
        }
    };
    let shipment = required(Column::Shipment, "FBA15XYZ1234")?;
    let number = required(Column::Number, "1Z999AA10123456784")?;
    let carrier = CarrierCode::parse(required(Column::Carrier, "UPS")?).map_err(|e| {
        Problem::new(
            "carrier.invalid",
            "carrier",
            format!("line {line}: {e}"),
            format!("第 {line} 行：承运商代码格式不正确，应为大写字母、数字和下划线，例如 UPS"),
        )
    })?;
    let mode = match cell(Column::Mode) {
        "" => None,
        text => Some(LegMode::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
            Problem::new(
                "mode.invalid",
                "mode",
                format!(
                    "line {line}: mode {text} is unknown: use SMALL_PARCEL, LTL, FTL, OCEAN, AIR, RAIL or POSTAL"
                ),
                format!("第 {line} 行：运输方式 {text} 无法识别：可选 SMALL_PARCEL、LTL、FTL、OCEAN、AIR、RAIL、POSTAL"),
            )
        })?),
    };
    let box_id = Some(cell(Column::Box)).filter(|b| !b.is_empty());
    Ok((
        shipment.to_owned(),
        TrackingItem {
            box_id: box_id.map(str::to_owned),
            tracking_number: number.to_owned(),
            carrier,
            mode,
            field: format!("line {line}"),
        },
    ))
}

fn body_problem(what: &str) -> IngestError {
    IngestError::Body(Problem::new(
        "csv.invalid",
        "",
        format!("{what}: send a CSV file whose first line names the columns"),
        "无法读取 CSV 文件：请上传第一行为列名的 CSV 文件".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(csv: &str, expected_rows: &[(&str, &str)], expected_rejected: &[(usize, &str)]) {
        let (rows, report) = parse_rows(csv.as_bytes()).expect("header reads");
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|(s, r)| (s.as_str(), r.item.tracking_number.as_str()))
            .collect();
        assert_eq!(got, expected_rows);
        let rejected: Vec<(usize, &str)> = report
            .rejected
            .iter()
            .map(|r| (r.line, r.problem.code))
            .collect();
        assert_eq!(rejected, expected_rejected);
    }

    #[test]
    fn chinese_headers_bom_and_blank_lines_are_understood() {
        check(
            "\u{feff}货件编号, 箱号 ,承运商,追踪编码\nFBA15XYZ1234,FBA15XYZ1234U000001,UPS,1Z999AA10123456784\n\n",
            &[("FBA15XYZ1234", "1Z999AA10123456784")],
            &[],
        );
    }

    #[test]
    fn lines_ended_as_excel_ends_them_are_numbered_as_a_person_counts() {
        check(
            "shipmentId,boxId,carrier,trackingNumber\r\nFBA15XYZ1234,,UPS,1Z999AA10123456784\r\n,FBA15XYZ1234U000001,UPS,1Z999AA10123456784\r\n",
            &[("FBA15XYZ1234", "1Z999AA10123456784")],
            &[(3, "field.required")],
        );
    }

    #[test]
    fn a_file_over_the_row_limit_is_refused_as_a_file() {
        let mut csv = String::from("shipmentId,carrier,trackingNumber\n");
        for _ in 0..=IMPORT_ROWS_MAX {
            csv.push_str("FBA15XYZ1234,UPS,1Z999AA10123456784\n");
        }
        let Err(error) = parse_rows(csv.as_bytes()) else {
            panic!("a file one row over the limit is read");
        };
        let problem = error.problem();
        assert_eq!(problem.code, "csv.too_many_rows");
        assert!(
            problem.en.contains("split it into files of 10000 rows"),
            "{}",
            problem.en
        );
    }

    #[test]
    fn rows_pasted_from_a_spreadsheet_are_separated_by_tabs() {
        check(
            "货件编号\t箱号\t承运商\t追踪编码\nFBA15XYZ1234\tFBA15XYZ1234U000001\tUPS\t1Z999AA10123456784\n",
            &[("FBA15XYZ1234", "1Z999AA10123456784")],
            &[],
        );
    }

    #[test]
    fn bad_rows_are_rejected_by_line_and_the_rest_kept() {
        check(
            "carrier,shipment_id,Tracking Number,mode\nUPS,FBA1,1Z999AA10123456784,\n,FBA2,123,\nups x,FBA3,1,\nUPS,FBA4,1Z999AA10123456784,BOAT\nUPS,FBA5,1Z12345E0205271686,ltl\n",
            &[
                ("FBA1", "1Z999AA10123456784"),
                ("FBA5", "1Z12345E0205271686"),
            ],
            &[
                (3, "field.required"),
                (4, "carrier.invalid"),
                (5, "mode.invalid"),
            ],
        );
    }

    #[test]
    fn a_missing_column_or_encoding_refuses_the_file() {
        let problem = |csv: &[u8]| match parse_rows(csv) {
            Err(IngestError::Body(p)) => p.code,
            _ => "accepted",
        };
        assert_eq!(
            problem(b"shipmentId,boxId,trackingNumber\n"),
            "csv.column_missing"
        );
        assert_eq!(
            problem(b"shipmentId,carrier,trackingNumber\nFBA1,UPS,\xb9\xfe\n"),
            "csv.encoding"
        );
    }

    #[test]
    fn tracking_field_names_become_columns() {
        assert_eq!(strip_prefix("line 3.trackingId"), "trackingNumber");
        assert_eq!(strip_prefix("line 3.boxId"), "boxId");
    }
}
