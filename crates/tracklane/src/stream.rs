//! The simulation stream format (`docs/simulation-format.md`): one JSON object
//! per line, each with a `type`. World lines describe warehouses, carriers and
//! sellers; event lines (in non-decreasing `at`) are what the hub is told;
//! truth lines, optional, say what really happened.
//!
//! This file holds the line types (for reading and writing) and the writer that
//! turns a [`Simulation`] into a stream. Milestone lines carry the carrier API's
//! milestone items verbatim, so `replay` hands them to the real ingest.

use std::io::Write;

use anyhow::Context;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tracklane_core::{
    Address, Carrier, CarrierCode, DeliveryWindow, FreightMode, LegMode, Marketplace, Seller,
    SellerId, ShippingMode, Warehouse, WarehouseCode,
};
use tracklane_sim::simulation::{SimEventKind, Simulation};

/// The format name written in the header.
pub const FORMAT: &str = "tracklane-stream/1";

/// Only the `type` of a line, read first to choose the full type.
#[derive(Deserialize)]
pub struct LineType<'a> {
    /// The line's type.
    #[serde(rename = "type", borrow)]
    pub kind: &'a str,
}

/// `{"type":"header", …}`: optional, first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `header`.
    #[serde(rename = "type")]
    pub kind: String,
    /// [`FORMAT`]; optional when reading.
    #[serde(default)]
    pub format: String,
    /// Who wrote the stream, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// The generator's seed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Shipments created before this are warm-up: replayed, not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure_from: Option<Timestamp>,
}

/// `{"type":"warehouse", …Warehouse}` and likewise for carriers and sellers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Tagged<T> {
    /// `warehouse`, `carrier` or `seller`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The record, with the core type's own fields.
    #[serde(flatten)]
    pub record: T,
}

/// A box or pallet of a shipment line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoxLine {
    /// Its id (`FBA…U000001`).
    pub box_id: String,
    /// Units packed.
    pub units: u32,
    /// Weight in grams.
    #[serde(default)]
    pub weight_grams: u32,
}

/// `{"type":"shipment", …}`: the seller creates an inbound shipment.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentLine {
    /// `shipment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it is created.
    pub at: Timestamp,
    /// SP-API `shipmentId`.
    pub shipment_id: String,
    /// SP-API `inboundPlanId`.
    pub inbound_plan_id: String,
    /// Confirmation id.
    pub confirmation_id: String,
    /// Owner.
    pub seller: SellerId,
    /// The seller's name for it.
    #[serde(default)]
    pub name: String,
    /// Ship-from address (its `city` is the lane's origin).
    pub origin: Address,
    /// Destination warehouse.
    pub warehouse: WarehouseCode,
    /// Marketplace.
    pub marketplace: Marketplace,
    /// Small parcel, LTL or FTL.
    pub shipping_mode: ShippingMode,
    /// International mode.
    pub freight_mode: FreightMode,
    /// The carrier's service, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The carrier the seller chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<CarrierCode>,
    /// Boxes or pallets.
    pub boxes: Vec<BoxLine>,
    /// Planned hand-over day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    /// The seller's window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_window: Option<DeliveryWindow>,
    /// The seller allows DW Automation.
    #[serde(default)]
    pub allows_window_automation: bool,
}

/// One tracking number of a tracking line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingItemLine {
    /// The box; absent for every freight unit (a PRO / bill of lading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub box_id: Option<String>,
    /// The number.
    pub tracking_number: String,
    /// The leg's mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LegMode>,
}

/// `{"type":"tracking", …}`: the carrier uploads tracking numbers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingLine {
    /// `tracking`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When.
    pub at: Timestamp,
    /// The uploading carrier.
    pub carrier: CarrierCode,
    /// The shipment (`shipmentId` or confirmation id).
    pub shipment_id: String,
    /// The numbers.
    pub items: Vec<TrackingItemLine>,
}

/// `{"type":"milestones", …}`: a carrier's push, the carrier API's body items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MilestonesLine<'a> {
    /// When the hub receives it.
    pub at: Timestamp,
    /// The pushing carrier.
    pub carrier: CarrierCode,
    /// The items, exactly as `POST /api/v1/carrier/milestones` takes them.
    #[serde(borrow)]
    pub milestones: Vec<&'a RawValue>,
}

/// `{"type":"backlog", …}`: the operator reports a warehouse's backlog.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BacklogLine {
    /// `backlog`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When.
    pub at: Timestamp,
    /// The warehouse.
    pub warehouse: WarehouseCode,
    /// Units waiting to be received.
    pub backlog_units: u32,
}

/// `{"type":"automation", …}`: the seller switches DW Automation on or off.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationLine {
    /// `automation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When.
    pub at: Timestamp,
    /// The shipment.
    pub shipment_id: String,
    /// Allowed from now on.
    pub allowed: bool,
}

/// `{"type":"window", …}`: the seller sets the window by hand.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowLine {
    /// `window`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When.
    pub at: Timestamp,
    /// The shipment.
    pub shipment_id: String,
    /// Sunday.
    pub start_date: Date,
    /// Saturday.
    pub end_date: Date,
}

/// One ground-truth exception episode.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TruthException {
    /// The engine's kind name.
    pub kind: String,
    /// When the cause began.
    pub start: Timestamp,
    /// When it cleared (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

/// `{"type":"truth", …}`: what really happened to a shipment. Optional.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TruthLine {
    /// `truth`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The shipment.
    pub shipment_id: String,
    /// When it really arrived at the warehouse, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<Timestamp>,
    /// Its exception episodes.
    #[serde(default)]
    pub exceptions: Vec<TruthException>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemOut<'a> {
    tracking_number: &'a str,
    shipment_id: &'a str,
    box_id: &'a str,
    status: StatusOut<'a>,
    location: LocationOut<'a>,
    occurred_at: Timestamp,
    event_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOut<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_code: Option<&'a str>,
}

#[derive(Serialize)]
struct LocationOut<'a> {
    address: &'a tracklane_core::Location,
}

#[derive(Serialize)]
struct MilestonesOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    at: Timestamp,
    carrier: &'a CarrierCode,
    milestones: Vec<ItemOut<'a>>,
}

fn line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

const SECONDS_PER_HOUR: i64 = 3_600;

/// Writes `sim` as a stream. Milestones are pushed in hourly batches per
/// carrier, each at the end of its hour; other lines keep their own time.
///
/// # Errors
/// When writing fails.
pub fn write_simulation(sim: &Simulation, out: &mut impl Write) -> anyhow::Result<()> {
    line(
        out,
        &Header {
            kind: "header".into(),
            format: FORMAT.into(),
            generator: Some("tracklane simulate".into()),
            seed: Some(sim.config.seed),
            measure_from: Some(sim.measure_from),
        },
    )?;
    for w in &sim.warehouses {
        line(
            out,
            &Tagged {
                kind: "warehouse".into(),
                record: w,
            },
        )?;
    }
    for c in &sim.carriers {
        line(
            out,
            &Tagged {
                kind: "carrier".into(),
                record: c,
            },
        )?;
    }
    for s in &sim.sellers {
        line(
            out,
            &Tagged {
                kind: "seller".into(),
                record: s,
            },
        )?;
    }
    // Batches open in the current hour, per carrier: (shipment, event) pairs.
    let mut hour = i64::MIN;
    let mut pending: Vec<(Timestamp, Vec<u8>)> = Vec::new();
    let mut batches: Vec<Vec<(u32, SimEventKind)>> = vec![Vec::new(); sim.carriers.len()];
    let flush = |out: &mut dyn Write,
                 hour: i64,
                 pending: &mut Vec<(Timestamp, Vec<u8>)>,
                 batches: &mut Vec<Vec<(u32, SimEventKind)>>|
     -> anyhow::Result<()> {
        for (_, bytes) in pending.drain(..) {
            out.write_all(&bytes)?;
        }
        let at = Timestamp::from_second(hour * SECONDS_PER_HOUR + SECONDS_PER_HOUR - 1)
            .unwrap_or(Timestamp::MAX);
        for (carrier, batch) in batches.iter_mut().enumerate() {
            if batch.is_empty() {
                continue;
            }
            let items = batch
                .iter()
                .filter_map(|(shipment, kind)| {
                    let SimEventKind::Milestone {
                        step,
                        box_index,
                        event_id,
                    } = kind
                    else {
                        return None;
                    };
                    let s = &sim.shipments[*shipment as usize];
                    let st = &s.steps[*step as usize];
                    let bx = &s.boxes[*box_index as usize];
                    Some(ItemOut {
                        tracking_number: &bx.tracking_number,
                        shipment_id: s.confirmation_id.as_str(),
                        box_id: bx.box_id.as_str(),
                        status: StatusOut {
                            code: st.code.as_str(),
                            sub_code: st.sub_code.map(|c| c.as_str()),
                        },
                        location: LocationOut {
                            address: &sim.locations[st.location as usize],
                        },
                        occurred_at: st.occurred_at,
                        event_id: format!("{event_id:016X}"),
                    })
                })
                .collect();
            let mut bytes = Vec::with_capacity(4096);
            serde_json::to_writer(
                &mut bytes,
                &MilestonesOut {
                    kind: "milestones",
                    at,
                    carrier: &sim.carriers[carrier].code,
                    milestones: items,
                },
            )?;
            bytes.push(b'\n');
            out.write_all(&bytes)?;
            batch.clear();
        }
        Ok(())
    };
    for event in &sim.events {
        let event_hour = event.at.as_second().div_euclid(SECONDS_PER_HOUR);
        if event_hour != hour {
            if hour != i64::MIN {
                flush(out, hour, &mut pending, &mut batches)?;
            }
            hour = event_hour;
        }
        let s = &sim.shipments[event.shipment as usize];
        let mut bytes = Vec::with_capacity(512);
        match event.kind {
            SimEventKind::Milestone { .. } => {
                batches[s.carrier].push((event.shipment, event.kind));
                continue;
            }
            SimEventKind::Shipment => {
                serde_json::to_writer(&mut bytes, &shipment_line(sim, event.shipment))?
            }
            SimEventKind::Tracking => serde_json::to_writer(
                &mut bytes,
                &TrackingLine {
                    kind: "tracking".into(),
                    at: event.at,
                    carrier: sim.carriers[s.carrier].code.clone(),
                    shipment_id: s.id.to_string(),
                    items: tracking_items(s),
                },
            )?,
            SimEventKind::Backlog { warehouse, units } => serde_json::to_writer(
                &mut bytes,
                &BacklogLine {
                    kind: "backlog".into(),
                    at: event.at,
                    warehouse: sim.warehouses[warehouse as usize].code.clone(),
                    backlog_units: units,
                },
            )?,
            SimEventKind::Automation { allowed } => serde_json::to_writer(
                &mut bytes,
                &AutomationLine {
                    kind: "automation".into(),
                    at: event.at,
                    shipment_id: s.id.to_string(),
                    allowed,
                },
            )?,
            SimEventKind::Window { window } => serde_json::to_writer(
                &mut bytes,
                &WindowLine {
                    kind: "window".into(),
                    at: event.at,
                    shipment_id: s.id.to_string(),
                    start_date: window.start_date,
                    end_date: window.end_date,
                },
            )?,
        }
        bytes.push(b'\n');
        pending.push((event.at, bytes));
    }
    if hour != i64::MIN {
        flush(out, hour, &mut pending, &mut batches)?;
    }
    for s in &sim.shipments {
        line(
            out,
            &TruthLine {
                kind: "truth".into(),
                shipment_id: s.id.to_string(),
                arrived_at: s.truth.arrived_at,
                exceptions: s
                    .truth
                    .episodes
                    .iter()
                    .map(|e| TruthException {
                        kind: e.kind.into(),
                        start: e.start,
                        end: e.end,
                    })
                    .collect(),
            },
        )?;
    }
    out.flush().context("flushing the stream")?;
    Ok(())
}

fn tracking_items(s: &tracklane_sim::simulation::SimShipment) -> Vec<TrackingItemLine> {
    let mode = if s.shipping_mode.is_freight() {
        match s.shipping_mode {
            ShippingMode::Ftl => LegMode::Ftl,
            _ => LegMode::Ltl,
        }
    } else {
        LegMode::SmallParcel
    };
    if s.shipping_mode.is_freight() {
        // One PRO / bill of lading for every pallet.
        return vec![TrackingItemLine {
            box_id: None,
            tracking_number: s.boxes[0].tracking_number.clone(),
            mode: Some(mode),
        }];
    }
    s.boxes
        .iter()
        .map(|b| TrackingItemLine {
            box_id: Some(b.box_id.to_string()),
            tracking_number: b.tracking_number.clone(),
            mode: Some(mode),
        })
        .collect()
}

fn shipment_line(sim: &Simulation, index: u32) -> ShipmentLine {
    let s = &sim.shipments[index as usize];
    ShipmentLine {
        kind: "shipment".into(),
        at: s.created_at,
        shipment_id: s.id.to_string(),
        inbound_plan_id: s.plan_id.to_string(),
        confirmation_id: s.confirmation_id.to_string(),
        seller: sim.sellers[s.seller].id.clone(),
        name: s.name.clone(),
        origin: s.origin.clone(),
        warehouse: sim.warehouses[s.warehouse].code.clone(),
        marketplace: sim.warehouses[s.warehouse].marketplace,
        shipping_mode: s.shipping_mode,
        freight_mode: s.freight_mode,
        service: Some(s.service.to_owned()),
        carrier: Some(sim.carriers[s.carrier].code.clone()),
        boxes: s
            .boxes
            .iter()
            .map(|b| BoxLine {
                box_id: b.box_id.to_string(),
                units: b.units,
                weight_grams: b.weight_grams,
            })
            .collect(),
        ship_date: Some(s.ship_date),
        delivery_window: Some(s.window),
        allows_window_automation: s.allows_window_automation,
    }
}

/// The world records a stream's world lines hold.
pub type WorldRecords = (Vec<Warehouse>, Vec<Carrier>, Vec<Seller>);
