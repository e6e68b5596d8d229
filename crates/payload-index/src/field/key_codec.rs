//! How each key type is written in an index file (little-endian, fixed size but for
//! strings), and read back with its value checked (finite numbers, UTF-8, valid geo points).

use super::key::{Float, GeoKey, Micros, Uuid};
use crate::store::{Bad, Reader, Writer};

/// A key's bytes in the index file.
pub(crate) trait KeyCodec: Sized {
    /// Appends the key.
    fn write(&self, w: &mut Writer);
    /// Reads a key written by `write`, checking its value.
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad>;
}

/// `u32` length + UTF-8 bytes.
impl KeyCodec for String {
    fn write(&self, w: &mut Writer) {
        w.blob(self.as_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        r.string()
    }
}

/// 8 bytes, two's complement.
impl KeyCodec for i64 {
    fn write(&self, w: &mut Writer) {
        w.u64(*self as u64);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        Ok(r.u64()? as i64)
    }
}

/// 1 byte, 0 or 1.
impl KeyCodec for bool {
    fn write(&self, w: &mut Writer) {
        w.u8(u8::from(*self));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        match r.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => r.bad("a bool (0 or 1)"),
        }
    }
}

/// 8 bytes, IEEE 754 bits; never NaN or infinite (JSON numbers).
impl KeyCodec for Float {
    fn write(&self, w: &mut Writer) {
        w.u64(self.0.to_bits());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        let f = f64::from_bits(r.u64()?);
        if f.is_finite() {
            Ok(Float(f))
        } else {
            r.bad("a finite number")
        }
    }
}

/// 8 bytes, microseconds since the epoch.
impl KeyCodec for Micros {
    fn write(&self, w: &mut Writer) {
        w.u64(self.0 as u64);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        Ok(Micros(r.u64()? as i64))
    }
}

/// 16 bytes, the UUID's 128 bits.
impl KeyCodec for Uuid {
    fn write(&self, w: &mut Writer) {
        w.u128(self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        Ok(Uuid(r.u128()?))
    }
}

/// 16 bytes: latitude then longitude as f64 (the cell is derived from them).
impl KeyCodec for GeoKey {
    fn write(&self, w: &mut Writer) {
        w.u64(self.lat.0.to_bits());
        w.u64(self.lon.0.to_bits());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Bad> {
        let lat = f64::from_bits(r.u64()?);
        let lon = f64::from_bits(r.u64()?);
        let point = serde_json::json!({"lat": lat, "lon": lon});
        match <GeoKey as super::key::IndexKey>::extract(&point) {
            Some(k) if lat.is_finite() && lon.is_finite() => Ok(k),
            _ => r.bad("a geo point within -90..=90, -180..=180"),
        }
    }
}
