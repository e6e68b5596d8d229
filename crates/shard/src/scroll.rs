//! Reads that are not nearest-vector queries: scroll (points in id order, a page at a time)
//! and facets (the most common values of an indexed key).

use std::ops::Bound;

use sextant_core::PointId;
use sextant_payload_index::Filter;
use sextant_payload_index::facet::FacetHit;

use crate::error::{Error, Result};
use crate::query::{OrderBy, Query, QueryRequest, Record};
use crate::selectors::{WithPayload, WithVector};
use crate::state::State;

/// A page of points in id order (integers ascending, then UUIDs), as Qdrant's scroll.
#[derive(Debug, Clone)]
pub struct ScrollRequest {
    /// Only points passing this filter.
    pub filter: Option<Filter>,
    /// Points per page.
    pub limit: usize,
    /// The first id of the page (the previous page's `next_page_offset`); `None`: the start.
    /// Not with `order_by`.
    pub offset: Option<PointId>,
    /// Points in the order of a payload value instead (an integer, float or datetime index on
    /// the key; a point holding several values comes once per value; no next page offset:
    /// the next page starts from the last value seen, with `start_from`).
    pub order_by: Option<OrderBy>,
    /// The payload returned with each point.
    pub with_payload: WithPayload,
    /// The vectors returned with each point.
    pub with_vector: WithVector,
}

impl ScrollRequest {
    /// The first `limit` points, ids only.
    pub fn new(limit: usize) -> Self {
        Self {
            filter: None,
            limit,
            offset: None,
            order_by: None,
            with_payload: WithPayload::None,
            with_vector: WithVector::None,
        }
    }
}

/// A page: its points and the id the next page starts at (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct ScrollPage {
    /// The points, in id order.
    pub points: Vec<Record>,
    /// The next page's first id.
    pub next_page_offset: Option<PointId>,
}

impl State {
    /// One page of `req`.
    pub(crate) fn scroll(&self, req: &ScrollRequest) -> Result<ScrollPage> {
        if let Some(by) = &req.order_by {
            if req.offset.is_some() {
                return Err(Error::bad(
                    "Bad request: offset is not supported with order_by (use start_from)",
                ));
            }
            let query = Query::OrderBy(by.clone());
            let mut q = QueryRequest::new("", query, req.limit);
            q.filter = req.filter.clone();
            q.with_payload = req.with_payload.clone();
            q.with_vector = req.with_vector.clone();
            let mut points = self.query(&q)?;
            points.iter_mut().for_each(|r| r.score = 0.0);
            return Ok(ScrollPage {
                points,
                next_page_offset: None,
            });
        }
        let allowed = req.filter.as_ref().map(|f| self.payloads.filter(f, self));
        let from = req.offset.map_or(Bound::Unbounded, Bound::Included);
        let mut passing = self
            .ids
            .range((from, Bound::Unbounded))
            .filter(|(_, o)| allowed.as_ref().is_none_or(|a| a.contains(**o)));
        let points = passing
            .by_ref()
            .take(req.limit)
            .map(|(_, &o)| self.record(o, &req.with_payload, &req.with_vector))
            .collect();
        Ok(ScrollPage {
            points,
            next_page_offset: passing.next().map(|(id, _)| *id),
        })
    }

    /// The `limit` most common values of the indexed key `key` among the points passing
    /// `filter`, by count descending then value ascending.
    pub(crate) fn facet(
        &self,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<FacetHit>> {
        self.payloads
            .facet(key, filter, limit, self)
            .map_err(|e| match e {
                sextant_payload_index::Error::NoIndex(k) => Error::bad(format!(
                    "Bad request: Index required but not found for \"{k}\" of one of the following types: [keyword, integer, bool, uuid]"
                )),
                e => Error::Payload(e),
            })
    }
}
