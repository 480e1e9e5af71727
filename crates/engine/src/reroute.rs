//! Smart Reroute: move delayed shipments to other warehouses of the same
//! marketplace, minimising expected days to receipt plus extra distance, never
//! beyond any warehouse's remaining receiving capacity (DESIGN.md invariant 5).
//!
//! A move's extra distance is measured from where the freight is when its
//! scans tell ([`freight_position`]: the gateway where it cleared import
//! customs), else from the warehouse it was going to.
//!
//! The problem is a transportation problem: each shipment goes to exactly one
//! option (stay, or one of the marketplace's warehouses), warehouses have slots.
//! [`solve`] finds an optimal assignment by successive shortest paths with
//! potentials. The shortest path runs over warehouse nodes only: an edge j → k
//! stands for moving the best-placed shipment now at j to k, so each of the n
//! augmentations costs O(m²) heap peeks with m warehouses (about 100), not a
//! search over the n × m bipartite graph. Every residual edge keeps a
//! non-negative reduced cost, so each augmentation is a shortest path and the
//! result is optimal; the tests check it against brute force and against a
//! negative-cycle certificate ([`is_optimal`]).
//!
//! Capacity is counted in slots, so that the problem stays an exact assignment
//! rather than a bin-packing one. [`plan`] groups the candidates into size
//! classes (each spans a factor of two in units) and solves them smallest
//! first: a class's slots are the room the smaller classes left, over
//! [`RerouteCostModel::horizon_days`], divided by the class's largest shipment.
//! No warehouse can be overfilled, and a shipment wastes less than half of its
//! slot, where one slot size for every candidate let a single large shipment
//! shrink everyone's slots.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::Serialize;
use tracklane_core::{Marketplace, MilestoneCode, ShipmentId, WarehouseCode};

use crate::eta::Eta;
use crate::places;
use crate::snapshot::ShipmentSnapshot;

/// The cost of an option that is not allowed.
pub const FORBIDDEN: i64 = i64::MAX;
const NO_NODE: u32 = u32::MAX;

/// A transportation problem: n shipments, m warehouses with slots, and a
/// "stay" option of unlimited capacity for every shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// Free slots per warehouse.
    pub warehouse_slots: Vec<u32>,
    /// Per shipment, the cost of staying where it is (never [`FORBIDDEN`]).
    pub stay_cost: Vec<i64>,
    /// Row-major n × m: the cost of moving shipment i to warehouse j, or
    /// [`FORBIDDEN`].
    pub move_cost: Vec<i64>,
}

impl Transport {
    fn cost(&self, shipment: usize, node: usize) -> i64 {
        let m = self.warehouse_slots.len();
        if node == m {
            self.stay_cost[shipment]
        } else {
            self.move_cost[shipment * m + node]
        }
    }
}

/// An assignment: each shipment's warehouse, or `None` to stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Per shipment, the warehouse index it moves to, or `None`.
    pub choice: Vec<Option<u32>>,
    /// The total cost.
    pub cost: i64,
}

impl Assignment {
    /// Shipments assigned to each warehouse.
    pub fn load(&self, warehouse_count: usize) -> Vec<u32> {
        let mut load = vec![0u32; warehouse_count];
        for j in self.choice.iter().flatten() {
            load[*j as usize] += 1;
        }
        load
    }
}

/// An optimal assignment of `problem` (see the module docs for the method).
///
/// # Panics
/// When a stay cost is [`FORBIDDEN`] or the sizes disagree: both are bugs in
/// the caller.
pub fn solve(problem: &Transport) -> Assignment {
    let n = problem.stay_cost.len();
    let m = problem.warehouse_slots.len();
    assert_eq!(problem.move_cost.len(), n * m, "move_cost must be n × m");
    assert!(
        problem.stay_cost.iter().all(|&c| c != FORBIDDEN),
        "staying must always be allowed"
    );
    let stay = m;
    let nodes = m + 1;
    let mut at = vec![NO_NODE; n];
    let mut used = vec![0u32; m];
    let mut potential = vec![0i64; nodes];
    // heaps[u * nodes + v]: shipments at u keyed by the cost of moving them to v.
    let mut heaps: Vec<BinaryHeap<Reverse<(i64, u32)>>> =
        (0..nodes * nodes).map(|_| BinaryHeap::new()).collect();
    let mut dist = vec![i64::MAX; nodes];
    let mut done = vec![false; nodes];
    let mut pred = vec![(NO_NODE, NO_NODE); nodes];

    let place = |heaps: &mut Vec<BinaryHeap<Reverse<(i64, u32)>>>, i: usize, v: usize| {
        let here = problem.cost(i, v);
        for w in 0..nodes {
            let there = problem.cost(i, w);
            if w != v && there != FORBIDDEN {
                heaps[v * nodes + w].push(Reverse((there - here, i as u32)));
            }
        }
    };

    for s in 0..n {
        dist.fill(i64::MAX);
        done.fill(false);
        for v in 0..nodes {
            let c = problem.cost(s, v);
            if c != FORBIDDEN {
                dist[v] = c - potential[v];
                pred[v] = (NO_NODE, s as u32);
            }
        }
        let target = loop {
            let u = (0..nodes)
                .filter(|&v| !done[v] && dist[v] != i64::MAX)
                .min_by_key(|&v| (dist[v], v))
                .expect("the stay node is always reachable");
            done[u] = true;
            if u == stay || used[u] < problem.warehouse_slots[u] {
                break u;
            }
            for v in 0..nodes {
                if done[v] {
                    continue;
                }
                let heap = &mut heaps[u * nodes + v];
                while let Some(&Reverse((_, i))) = heap.peek() {
                    if at[i as usize] == u as u32 {
                        break;
                    }
                    heap.pop();
                }
                if let Some(&Reverse((key, i))) = heap.peek() {
                    let candidate = dist[u] + key + potential[u] - potential[v];
                    if candidate < dist[v] {
                        dist[v] = candidate;
                        pred[v] = (u as u32, i);
                    }
                }
            }
        };
        let reach = dist[target];
        for v in 0..nodes {
            potential[v] += if done[v] { dist[v] } else { reach };
        }
        let mut v = target;
        loop {
            let (u, i) = pred[v];
            let i = i as usize;
            at[i] = v as u32;
            place(&mut heaps, i, v);
            if u == NO_NODE {
                break;
            }
            v = u as usize;
        }
        if target != stay {
            used[target] += 1;
        }
    }
    let choice: Vec<Option<u32>> = at
        .iter()
        .map(|&v| (v as usize != stay).then_some(v))
        .collect();
    let cost = (0..n).map(|i| problem.cost(i, at[i] as usize)).sum();
    Assignment { choice, cost }
}

/// Whether `assignment` is feasible and optimal for `problem`, checked without
/// the solver: no slot is over-used, and the residual graph (move one shipment
/// from its node to another; end anywhere with a free slot) has no negative
/// cycle, found by Bellman–Ford. For tests and audits: O(n·m²).
pub fn is_optimal(problem: &Transport, assignment: &Assignment) -> bool {
    let n = problem.stay_cost.len();
    let m = problem.warehouse_slots.len();
    let stay = m;
    let nodes = m + 2; // warehouses, stay, and a super node tying slack together
    let hub = m + 1;
    let node_of = |i: usize| assignment.choice[i].map_or(stay, |j| j as usize);
    if assignment.choice.len() != n {
        return false;
    }
    let load = assignment.load(m);
    if load
        .iter()
        .zip(&problem.warehouse_slots)
        .any(|(l, s)| l > s)
    {
        return false;
    }
    if (0..n).any(|i| problem.cost(i, node_of(i)) == FORBIDDEN) {
        return false;
    }
    let mut edges: Vec<(usize, usize, i64)> = Vec::new();
    for i in 0..n {
        let u = node_of(i);
        for v in 0..=m {
            let c = problem.cost(i, v);
            if v != u && c != FORBIDDEN {
                edges.push((u, v, c - problem.cost(i, u)));
            }
        }
    }
    for v in 0..=m {
        // Any node may start a chain; one with a free slot may end it.
        edges.push((hub, v, 0));
        let has_room = v == stay || load.get(v) < problem.warehouse_slots.get(v);
        if has_room {
            edges.push((v, hub, 0));
        }
    }
    let mut dist = vec![0i64; nodes];
    for _ in 0..nodes {
        let mut changed = false;
        for &(u, v, w) in &edges {
            if dist[u] + w < dist[v] {
                dist[v] = dist[u] + w;
                changed = true;
            }
        }
        if !changed {
            return true;
        }
    }
    false
}

// ---- Planning reroutes over real warehouses ---------------------------------

/// A warehouse's receiving situation, as the operator reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseLoad {
    /// Its code.
    pub code: WarehouseCode,
    /// The marketplace it serves.
    pub marketplace: Marketplace,
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// Units it receives a day.
    pub capacity_units_per_day: u32,
    /// Units waiting to be received.
    pub backlog_units: u32,
    /// Units already sent its way by earlier reroutes and not yet received.
    pub inbound_units: u32,
}

impl WarehouseLoad {
    /// Expected days a newly arriving unit waits before it is received.
    pub fn wait_days(&self) -> f64 {
        f64::from(self.backlog_units.saturating_add(self.inbound_units))
            / f64::from(self.capacity_units_per_day.max(1))
    }

    /// Units it can still take within `horizon_days` without its queue growing
    /// beyond that horizon.
    pub fn remaining_units(&self, horizon_days: f64) -> u32 {
        let room = f64::from(self.capacity_units_per_day) * horizon_days
            - f64::from(self.backlog_units)
            - f64::from(self.inbound_units);
        room.max(0.0) as u32
    }
}

/// A shipment the optimiser may move.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RerouteCandidate {
    /// The shipment.
    pub shipment: ShipmentId,
    /// Units in it.
    pub units: u32,
    /// The warehouse it is going to now.
    pub warehouse: WarehouseCode,
    /// Where the freight is (latitude, longitude), when its scans tell (see
    /// [`freight_position`]); else it is taken to be at its warehouse.
    pub position: Option<(f64, f64)>,
}

impl RerouteCandidate {
    /// The candidate `snapshot` makes.
    pub fn of(snapshot: &ShipmentSnapshot) -> Self {
        Self {
            shipment: snapshot.id.clone(),
            units: snapshot.units,
            warehouse: snapshot.lane.warehouse.clone(),
            position: freight_position(snapshot),
        }
    }
}

/// Where freight that has cleared import customs is: the place of its latest
/// scan, when that scan is in the destination's customs territory, comes
/// after a customs clearance there, and names a known gateway
/// ([`crate::places`]). From there it goes on by land, so a move is measured
/// from there: freight for Brampton that cleared in Vancouver is a few
/// kilometres from Delta, not 3 400. Before clearance (at sea, in the air,
/// passing through a transit airport) the position is unknown.
pub fn freight_position(snapshot: &ShipmentSnapshot) -> Option<(f64, f64)> {
    let destination = snapshot.destination_country();
    let in_territory = |s: &crate::Scan| {
        s.country_code
            .as_deref()
            .is_some_and(|c| places::is_same_customs_territory(c, destination))
    };
    let latest = snapshot.latest().filter(|s| in_territory(s))?;
    let cleared = snapshot
        .scans
        .iter()
        .any(|s| s.code == MilestoneCode::CustomsCleared && in_territory(s));
    if !cleared {
        return None;
    }
    places::locate(latest.city.as_deref()?, latest.country_code.as_deref()?)
}

/// The weights of the reroute objective.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RerouteCostModel {
    /// How far ahead a warehouse's remaining capacity is counted.
    pub horizon_days: f64,
    /// Road distance covered by a truck in a day.
    pub truck_km_per_day: f64,
    /// Road distance over great-circle distance.
    pub road_factor: f64,
    /// The objective's price of one extra kilometre, in days.
    pub days_per_extra_km: f64,
    /// A fixed cost of any move (a new appointment, paperwork), in days: moves
    /// that gain less are not proposed.
    pub switch_days: f64,
}

impl Default for RerouteCostModel {
    fn default() -> Self {
        Self {
            horizon_days: 3.0,
            truck_km_per_day: 550.0,
            road_factor: 1.25,
            days_per_extra_km: 1.0 / 1500.0,
            switch_days: 1.0,
        }
    }
}

/// A proposed move, for the carrier to confirm.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RerouteOffer {
    /// The shipment.
    pub shipment: ShipmentId,
    /// From this warehouse.
    pub from: WarehouseCode,
    /// To this one.
    pub to: WarehouseCode,
    /// Units moved.
    pub units: u32,
    /// Expected days to receipt if it stays.
    pub stay_days: f64,
    /// Expected days to receipt at the new warehouse, including the extra drive.
    pub move_days: f64,
    /// Extra road distance, in kilometres.
    pub extra_km: f64,
    /// Why, for the audit trail.
    pub reason: String,
}

/// The optimiser's answer for one pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReroutePlan {
    /// The moves proposed.
    pub offers: Vec<RerouteOffer>,
    /// Per warehouse that receives moves: units sent and units it had room for.
    pub capacity: Vec<(WarehouseCode, u32, u32)>,
    /// The objective with the moves, in days.
    pub cost_days: f64,
    /// The objective if nothing moved, in days.
    pub stay_cost_days: f64,
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// Hundredths of a day: the solver's integer cost unit.
const COST_UNITS_PER_DAY: f64 = 100.0;

fn to_cost(days: f64) -> i64 {
    (days * COST_UNITS_PER_DAY).round() as i64
}

/// Plans the reroutes of `candidates` over `loads`, one marketplace at a time.
/// Candidates whose warehouse is not in `loads` stay.
pub fn plan(
    candidates: &[RerouteCandidate],
    loads: &[WarehouseLoad],
    model: &RerouteCostModel,
) -> ReroutePlan {
    let mut result = ReroutePlan {
        offers: Vec::new(),
        capacity: Vec::new(),
        cost_days: 0.0,
        stay_cost_days: 0.0,
    };
    for marketplace in Marketplace::ALL {
        let sites: Vec<&WarehouseLoad> = loads
            .iter()
            .filter(|l| l.marketplace == *marketplace)
            .collect();
        let group: Vec<(&RerouteCandidate, usize)> = candidates
            .iter()
            .filter_map(|c| {
                sites
                    .iter()
                    .position(|s| s.code == c.warehouse)
                    .map(|home| (c, home))
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        let m = sites.len();
        let mut room: Vec<u32> = sites
            .iter()
            .map(|s| s.remaining_units(model.horizon_days))
            .collect();
        let mut sent = vec![0u32; m];
        // Size classes, smallest first: each spans a factor of two in units.
        let mut classes: Vec<Vec<(&RerouteCandidate, usize)>> = Vec::new();
        for &(candidate, home) in &group {
            let class = size_class(candidate.units);
            if classes.len() <= class {
                classes.resize_with(class + 1, Vec::new);
            }
            classes[class].push((candidate, home));
        }
        for class in classes.iter().filter(|c| !c.is_empty()) {
            plan_class(class, &sites, &mut room, &mut sent, model, &mut result);
        }
        for (j, units) in sent.iter().enumerate() {
            if *units > 0 {
                result.capacity.push((
                    sites[j].code.clone(),
                    *units,
                    sites[j].remaining_units(model.horizon_days),
                ));
            }
        }
    }
    result
}

/// The road distance a move of `candidate` from `here` to `there` adds: from
/// where the freight is, to `there` rather than to `here`, never below zero (a
/// warehouse nearer the freight is no detour, but not a reason to move either).
fn extra_km(
    candidate: &RerouteCandidate,
    here: &WarehouseLoad,
    there: &WarehouseLoad,
    model: &RerouteCostModel,
) -> f64 {
    let place = |s: &WarehouseLoad| (s.latitude, s.longitude);
    let from = candidate.position.unwrap_or(place(here));
    let detour = distance_km(from, place(there)) - distance_km(from, place(here));
    detour.max(0.0) * model.road_factor
}

/// The size class of a shipment of `units`: class k holds 2^(k-1) < units ≤ 2^k.
fn size_class(units: u32) -> usize {
    units.max(1).next_power_of_two().trailing_zeros() as usize
}

/// Plans one size class of one marketplace: slots as large as the class's
/// largest shipment, cut from the room the smaller classes left; what moves is
/// taken off `room` and added to `sent`.
fn plan_class(
    group: &[(&RerouteCandidate, usize)],
    sites: &[&WarehouseLoad],
    room: &mut [u32],
    sent: &mut [u32],
    model: &RerouteCostModel,
    result: &mut ReroutePlan,
) {
    let slot_units = group.iter().map(|(c, _)| c.units).max().unwrap_or(1).max(1);
    let slots: Vec<u32> = room.iter().map(|r| r / slot_units).collect();
    // The wait at a site grows with what smaller classes were already sent there.
    let wait: Vec<f64> = sites
        .iter()
        .zip(&*sent)
        .map(|(site, &units)| {
            site.wait_days() + f64::from(units) / f64::from(site.capacity_units_per_day.max(1))
        })
        .collect();
    let m = sites.len();
    let mut stay_cost = Vec::with_capacity(group.len());
    let mut move_cost = Vec::with_capacity(group.len() * m);
    for (candidate, home) in group {
        let here = sites[*home];
        stay_cost.push(to_cost(here.wait_days()));
        for (j, site) in sites.iter().enumerate() {
            if j == *home {
                move_cost.push(FORBIDDEN);
                continue;
            }
            let km = extra_km(candidate, here, site, model);
            let days = wait[j]
                + km / model.truck_km_per_day
                + km * model.days_per_extra_km
                + model.switch_days;
            move_cost.push(to_cost(days));
        }
    }
    let problem = Transport {
        warehouse_slots: slots.clone(),
        stay_cost,
        move_cost,
    };
    let assignment = solve(&problem);
    result.cost_days += assignment.cost as f64 / COST_UNITS_PER_DAY;
    result.stay_cost_days += problem.stay_cost.iter().sum::<i64>() as f64 / COST_UNITS_PER_DAY;
    for (index, choice) in assignment.choice.iter().enumerate() {
        let Some(j) = choice else { continue };
        let j = *j as usize;
        let (candidate, home) = group[index];
        let (here, there) = (sites[home], sites[j]);
        let km = extra_km(candidate, here, there, model);
        let move_days = wait[j] + km / model.truck_km_per_day;
        sent[j] += candidate.units;
        room[j] -= candidate.units;
        result.offers.push(RerouteOffer {
            shipment: candidate.shipment.clone(),
            from: here.code.clone(),
            to: there.code.clone(),
            units: candidate.units,
            stay_days: here.wait_days(),
            move_days,
            extra_km: km,
            reason: format!(
                "{} expects a {:.1}-day receiving wait; {} expects {:.1} days including {:.0} km more by road{}",
                here.code,
                here.wait_days(),
                there.code,
                move_days,
                km,
                if candidate.position.is_some() {
                    " from where the freight cleared customs"
                } else {
                    ""
                }
            ),
        });
    }
}

/// Days of expected receiving wait at the destination from which a shipment
/// counts as delayed by congestion.
pub const CONGESTED_WAIT_DAYS_MIN: f64 = 2.0;
/// Only shipments expected within this many days are rerouted: a move is
/// judged on today's backlogs, which say less about the backlogs on arrival
/// the farther off it is. Decided up to 10 days out, an eighth of the moved
/// shipments that met congestion on the simulator's streams, and a third on
/// another generator's, would have waited less where they were; at 5 days
/// there are a third fewer moves and the mean wait falls further on both.
/// Much nearer, the freight is often with the last-mile carrier already and
/// can no longer move.
pub const REROUTE_LOOKAHEAD_DAYS: f64 = 5.0;

/// Whether `snapshot` may be offered a reroute at `now`: its carrier has
/// `smart_reroute`, it has not been handed to the last mile yet, it is expected
/// within [`REROUTE_LOOKAHEAD_DAYS`], and it is delayed: its ETA is past its
/// window, or its warehouse's receiving wait is at least
/// [`CONGESTED_WAIT_DAYS_MIN`].
pub fn is_candidate(
    snapshot: &ShipmentSnapshot,
    eta: Option<&Eta>,
    home: &WarehouseLoad,
    now: jiff::Timestamp,
) -> bool {
    use MilestoneCode as C;
    if !snapshot.can_reroute() || snapshot.is_finished() {
        return false;
    }
    let handed_over = snapshot.scans.iter().any(|s| {
        matches!(
            s.code,
            C::CarrierTransfer
                | C::ReceivedFromCarrier
                | C::DeliveryAppointmentConfirmed
                | C::OutForDelivery
                | C::DeliveryAttempted
        )
    });
    let Some(eta) = eta else { return false };
    let soon = eta.p50.duration_since(now).as_secs_f64() <= REROUTE_LOOKAHEAD_DAYS * 86_400.0;
    let late = snapshot
        .window
        .is_some_and(|(w, _)| crate::snapshot::day_of(eta.p50) > w.end_date);
    !handed_over && soon && (late || home.wait_days() >= CONGESTED_WAIT_DAYS_MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The optimum by enumerating every assignment.
    fn brute_force(p: &Transport) -> i64 {
        let n = p.stay_cost.len();
        let m = p.warehouse_slots.len();
        let mut best = i64::MAX;
        let mut choice = vec![0usize; n];
        loop {
            let mut load = vec![0u32; m];
            let mut cost = 0i64;
            let mut ok = true;
            for (i, &c) in choice.iter().enumerate() {
                let cij = p.cost(i, c);
                if cij == FORBIDDEN {
                    ok = false;
                    break;
                }
                cost += cij;
                if c < m {
                    load[c] += 1;
                }
            }
            if ok && load.iter().zip(&p.warehouse_slots).all(|(l, s)| l <= s) {
                best = best.min(cost);
            }
            // Next choice vector in base m + 1.
            let mut k = 0;
            loop {
                if k == n {
                    return best;
                }
                choice[k] += 1;
                if choice[k] <= m {
                    break;
                }
                choice[k] = 0;
                k += 1;
            }
        }
    }

    fn problem() -> impl Strategy<Value = Transport> {
        (1usize..7, 1usize..4).prop_flat_map(|(n, m)| {
            (
                proptest::collection::vec(0u32..3, m),
                proptest::collection::vec(0i64..50, n),
                proptest::collection::vec(prop_oneof![9 => 0i64..50, 1 => Just(FORBIDDEN)], n * m),
            )
                .prop_map(|(warehouse_slots, stay_cost, move_cost)| Transport {
                    warehouse_slots,
                    stay_cost,
                    move_cost,
                })
        })
    }

    fn check(p: &Transport) {
        let a = solve(p);
        assert_eq!(a.cost, brute_force(p), "{p:?} → {a:?}");
        assert!(is_optimal(p, &a), "{p:?} → {a:?}");
        for (load, slots) in a
            .load(p.warehouse_slots.len())
            .iter()
            .zip(&p.warehouse_slots)
        {
            assert!(load <= slots);
        }
    }

    #[test]
    fn moves_to_the_cheapest_free_warehouse_and_chains_when_full() {
        // Two shipments both prefer warehouse 0, which has one slot: the one
        // that loses least by going to warehouse 1 goes there.
        check(&Transport {
            warehouse_slots: vec![1, 1],
            stay_cost: vec![100, 100],
            move_cost: vec![10, 20, 10, 50],
        });
        let a = solve(&Transport {
            warehouse_slots: vec![1, 1],
            stay_cost: vec![100, 100],
            move_cost: vec![10, 20, 10, 50],
        });
        assert_eq!(a.choice, vec![Some(1), Some(0)]);
        assert_eq!(a.cost, 30);
    }

    #[test]
    fn nobody_moves_when_staying_is_cheaper() {
        check(&Transport {
            warehouse_slots: vec![5],
            stay_cost: vec![1, 2],
            move_cost: vec![10, 10],
        });
    }

    proptest! {
        #[test]
        fn solve_is_optimal_and_within_capacity(p in problem()) {
            check(&p);
        }
    }

    fn site(code: &str, lat: f64, lon: f64, backlog: u32) -> WarehouseLoad {
        WarehouseLoad {
            code: WarehouseCode::parse(code).expect("code"),
            marketplace: Marketplace::Us,
            latitude: lat,
            longitude: lon,
            capacity_units_per_day: 10_000,
            backlog_units: backlog,
            inbound_units: 0,
        }
    }

    /// ONT8 has 8 days of backlog; SBD1 next door has none; TEB9 is far.
    fn sites() -> Vec<WarehouseLoad> {
        vec![
            site("ONT8", 33.88, -117.24, 80_000),
            site("SBD1", 34.08, -117.25, 0),
            site("TEB9", 39.78, -75.36, 0),
        ]
    }

    /// Candidates at ONT8 with these units.
    fn at_ont8(units: &[u32]) -> Vec<RerouteCandidate> {
        units
            .iter()
            .enumerate()
            .map(|(i, &units)| RerouteCandidate {
                shipment: ShipmentId::parse(&format!("sh00000000-0000-0000-0000-{i:012}"))
                    .expect("id"),
                units,
                warehouse: WarehouseCode::parse("ONT8").expect("code"),
                position: None,
            })
            .collect()
    }

    fn within_room(plan: &ReroutePlan) {
        for (code, sent, room) in &plan.capacity {
            assert!(sent <= room, "{code}: {sent} > {room}");
        }
    }

    #[test]
    fn plan_moves_freight_away_from_a_congested_site() {
        let loads = sites();
        let candidates = at_ont8(&[1_000; 40]);
        let plan = plan(&candidates, &loads, &RerouteCostModel::default());
        // SBD1 can take 3 days × 10 000 units = 30 slots of 1 000 units.
        let to_sbd1 = plan
            .offers
            .iter()
            .filter(|o| o.to.as_str() == "SBD1")
            .count();
        assert_eq!(to_sbd1, 30, "{plan:?}");
        within_room(&plan);
        assert!(plan.cost_days < plan.stay_cost_days);
    }

    #[test]
    fn a_large_shipment_does_not_shrink_the_slots_of_small_ones() {
        // SBD1 and TEB9 each have room for 30 000 units: the 40 000-unit
        // shipment fits neither and stays, and all twenty small ones move.
        let mut units = vec![1_000; 20];
        units.push(40_000);
        let plan = plan(&at_ont8(&units), &sites(), &RerouteCostModel::default());
        assert_eq!(plan.offers.len(), 20, "{plan:?}");
        assert!(plan.offers.iter().all(|o| o.units == 1_000));
        within_room(&plan);
    }

    /// A scan at `city` in `country`.
    fn scan_in(code: MilestoneCode, at: &str, city: &str, country: &str) -> crate::Scan {
        crate::Scan {
            city: Some(city.into()),
            ..crate::snapshot::tests::scan(code, at, country)
        }
    }

    #[test]
    fn freight_is_placed_where_it_cleared_import_customs() {
        use MilestoneCode as C;
        let mut s = crate::snapshot::tests::ocean_shipment("2026-01-01T00:00:00Z");
        s.insert_scan(scan_in(
            C::Departed,
            "2026-01-05T00:00:00Z",
            "Shenzhen",
            "CN",
        ));
        assert_eq!(freight_position(&s), None, "at sea");
        s.insert_scan(scan_in(
            C::Arrived,
            "2026-01-20T00:00:00Z",
            "Long Beach",
            "US",
        ));
        assert_eq!(freight_position(&s), None, "landed, not cleared");
        s.insert_scan(scan_in(
            C::CustomsCleared,
            "2026-01-22T00:00:00Z",
            "Long Beach",
            "US",
        ));
        assert_eq!(freight_position(&s), places::locate("Long Beach", "US"));
        // On the road to a place the table does not know: unknown again.
        s.insert_scan(scan_in(
            C::ArrivedAtTerminal,
            "2026-01-23T00:00:00Z",
            "Mira Loma",
            "US",
        ));
        assert_eq!(freight_position(&s), None);

        // A shipment to `marketplace` that cleared customs in `city`.
        let cleared_in = |marketplace, city: &str, country: &str| {
            let mut s = crate::snapshot::tests::ocean_shipment("2026-01-01T00:00:00Z");
            s.lane.marketplace = marketplace;
            s.insert_scan(scan_in(
                C::CustomsCleared,
                "2026-01-22T00:00:00Z",
                city,
                country,
            ));
            s
        };
        // Freight for Germany may clear into the EU in Rotterdam.
        let de = cleared_in(Marketplace::De, "Rotterdam", "NL");
        assert_eq!(freight_position(&de), places::locate("Rotterdam", "NL"));
        // A clearance outside the destination's territory places nothing.
        let ca = cleared_in(Marketplace::Ca, "Seattle", "US");
        assert_eq!(freight_position(&ca), None);
    }

    #[test]
    fn a_move_is_measured_from_where_the_freight_is() {
        // Brampton is congested; Delta, 3 400 km west, is free. Freight still
        // thought to be at Brampton stays; freight that cleared in Vancouver,
        // a few kilometres from Delta, moves there with no detour.
        let canada = |code, lat, lon, backlog| WarehouseLoad {
            marketplace: Marketplace::Ca,
            ..site(code, lat, lon, backlog)
        };
        let loads = vec![
            canada("YYZ4", 43.73, -79.76, 80_000),
            canada("YVR2", 49.09, -123.03, 0),
        ];
        let mut candidates = at_ont8(&[1_000, 1_000]);
        for c in &mut candidates {
            c.warehouse = WarehouseCode::parse("YYZ4").expect("code");
        }
        candidates[1].position = places::locate("Vancouver", "CA");
        let plan = plan(&candidates, &loads, &RerouteCostModel::default());
        assert_eq!(plan.offers.len(), 1, "{plan:?}");
        let offer = &plan.offers[0];
        assert_eq!(offer.shipment, candidates[1].shipment);
        assert_eq!(offer.to.as_str(), "YVR2");
        assert_eq!(offer.extra_km, 0.0);
        within_room(&plan);
    }

    proptest! {
        #[test]
        fn plan_never_fills_a_site_beyond_its_room(
            units in proptest::collection::vec(1u32..20_000, 1..60),
            backlog in 0u32..40_000,
        ) {
            let mut loads = sites();
            loads[1].backlog_units = backlog;
            let plan = plan(&at_ont8(&units), &loads, &RerouteCostModel::default());
            within_room(&plan);
            let mut seen: Vec<&ShipmentId> = plan.offers.iter().map(|o| &o.shipment).collect();
            seen.sort();
            seen.dedup();
            prop_assert_eq!(seen.len(), plan.offers.len());
        }
    }
}
