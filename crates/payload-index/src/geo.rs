//! Geo tests on `{"lat", "lon"}` payload values: haversine distance, boxes across the
//! antimeridian, polygons with holes (ray casting; a point on the outer ring is outside, a
//! point on a hole's ring is in the hole), as Qdrant and `qdrant-client`'s Local Mode compute
//! them.

use serde_json::Value;

use crate::filter::{GeoBoundingBox, GeoPoint, GeoPolygon, GeoRadius};

/// Mean Earth radius in meters (IUGG), the sphere distances are measured on.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The geo point a payload value holds: an object with numeric `lat` and `lon`.
pub fn point_of(v: &Value) -> Option<GeoPoint> {
    let o = v.as_object()?;
    Some(GeoPoint {
        lat: o.get("lat")?.as_f64()?,
        lon: o.get("lon")?.as_f64()?,
    })
}

/// Haversine distance in meters.
pub fn distance(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = b.lon.to_radians() - a.lon.to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    EARTH_RADIUS_M * 2.0 * h.sqrt().asin()
}

impl GeoRadius {
    /// Strictly closer than the radius.
    pub fn contains(&self, p: GeoPoint) -> bool {
        distance(self.center, p) < self.radius
    }
}

impl GeoBoundingBox {
    /// Strictly inside; a box whose west edge is east of its east edge crosses the antimeridian.
    pub fn contains(&self, p: GeoPoint) -> bool {
        let (tl, br) = (self.top_left, self.bottom_right);
        let lon_ok = if tl.lon > br.lon {
            p.lon > tl.lon || p.lon < br.lon
        } else {
            tl.lon < p.lon && p.lon < br.lon
        };
        lon_ok && tl.lat > p.lat && p.lat > br.lat
    }
}

impl GeoPolygon {
    /// Inside the exterior (not on it) and in no hole (a hole's ring counts as the hole).
    pub fn contains(&self, p: GeoPoint) -> bool {
        in_ring(p, &self.exterior, true) && !self.interiors.iter().any(|h| in_ring(p, h, false))
    }
}

/// Ray casting in (lat, lon) coordinates; `boundary_outside` says what a point on the ring is.
fn in_ring(pt: GeoPoint, ring: &[GeoPoint], boundary_outside: bool) -> bool {
    let ring = match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    };
    if ring.is_empty() {
        return false;
    }
    let (px, py) = (pt.lat, pt.lon);
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (xi, yi, xj, yj) = (ring[i].lat, ring[i].lon, ring[j].lat, ring[j].lon);
        let on_boundary = py * (xi - xj) + yi * (xj - px) + yj * (px - xi) == 0.0
            && (xi - px) * (xj - px) <= 0.0
            && (yi - py) * (yj - py) <= 0.0;
        if on_boundary {
            return !boundary_outside;
        }
        if (yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint { lat, lon }
    }

    #[test]
    fn distances_boxes_and_polygons() {
        let (moscow, london) = (p(55.7558, 37.6173), p(51.5074, -0.1278));
        let d = distance(moscow, london);
        assert!((2_400_000.0..2_600_000.0).contains(&d), "{d}");
        let across = GeoBoundingBox {
            top_left: p(10.0, 170.0),
            bottom_right: p(-10.0, -170.0),
        };
        assert!(across.contains(p(0.0, 179.0)) && across.contains(p(0.0, -179.0)));
        assert!(!across.contains(p(0.0, 0.0)) && !across.contains(p(10.0, 175.0)));
        let square = |a: f64, b: f64| vec![p(a, a), p(a, b), p(b, b), p(b, a), p(a, a)];
        let poly = GeoPolygon {
            exterior: square(0.0, 10.0),
            interiors: vec![square(4.0, 6.0)],
        };
        assert!(poly.contains(p(2.0, 2.0)));
        assert!(!poly.contains(p(5.0, 5.0)), "in the hole");
        assert!(!poly.contains(p(0.0, 5.0)), "on the outer ring");
        assert!(!poly.contains(p(4.0, 5.0)), "on the hole's ring");
        assert!(!poly.contains(p(11.0, 5.0)));
    }
}
