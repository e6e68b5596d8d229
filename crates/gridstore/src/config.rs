//! Store geometry and options, fixed when the store is created and kept in its meta file: a
//! serde struct with stable field names, validated on create and on open.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How values are stored. Serialized as `"none"` or `"lz4"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// Bytes as given (the choice for vectors: they do not compress).
    #[default]
    None,
    /// LZ4 block compression per value (the choice for JSON payloads).
    Lz4,
}

/// Geometry of a store: pages are split into blocks, blocks are grouped into regions whose
/// largest free run is summarized, so allocation never scans the whole bitmask. Serialized as
/// `{"page_size": 33554432, "block_size": 128, "region_blocks": 8192, "compression": "none"}`;
/// missing fields take their defaults, unknown ones are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GridstoreConfig {
    /// Bytes per page file (default 32 MiB). A multiple of `block_size * region_blocks`.
    pub page_size: u64,
    /// Allocation unit in bytes (default 128). A power of two from 8 to 1 MiB.
    pub block_size: u32,
    /// Blocks per region summary (default 8192).
    pub region_blocks: u32,
    /// Per-value compression (default none).
    pub compression: Compression,
}

impl Default for GridstoreConfig {
    fn default() -> Self {
        Self {
            page_size: 32 << 20,
            block_size: 128,
            region_blocks: 8192,
            compression: Compression::None,
        }
    }
}

impl GridstoreConfig {
    /// The defaults with LZ4 compression: the setting for JSON payloads.
    pub fn for_payloads() -> Self {
        Self {
            compression: Compression::Lz4,
            ..Self::default()
        }
    }

    /// Checks the geometry.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if !self.block_size.is_power_of_two() || !(8..=1 << 20).contains(&self.block_size) {
            return bad(format!(
                "block_size {} is not a power of two in 8..=1048576",
                self.block_size
            ));
        }
        if self.region_blocks == 0 || !self.region_blocks.is_multiple_of(64) {
            return bad(format!(
                "region_blocks {} is not a positive multiple of 64",
                self.region_blocks
            ));
        }
        let region_bytes = u64::from(self.block_size) * u64::from(self.region_blocks);
        if self.page_size == 0 || !self.page_size.is_multiple_of(region_bytes) {
            return bad(format!(
                "page_size {} is not a positive multiple of block_size * region_blocks = {region_bytes}",
                self.page_size
            ));
        }
        if self.page_size > 1 << 40 || usize::try_from(self.page_size).is_err() {
            return bad(format!(
                "page_size {} is above 1 TiB or the address space",
                self.page_size
            ));
        }
        Ok(())
    }

    /// Blocks per page.
    pub fn blocks_per_page(&self) -> u64 {
        self.page_size / u64::from(self.block_size)
    }

    /// Regions per page.
    pub(crate) fn regions_per_page(&self) -> u64 {
        self.blocks_per_page() / u64::from(self.region_blocks)
    }

    /// Blocks a stored value of `len` bytes occupies.
    pub(crate) fn blocks_for(&self, len: u64) -> u64 {
        len.div_ceil(u64::from(self.block_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_stable() {
        let json = serde_json::to_string(&GridstoreConfig::for_payloads()).unwrap();
        assert_eq!(
            json,
            r#"{"page_size":33554432,"block_size":128,"region_blocks":8192,"compression":"lz4"}"#
        );
        let parsed: GridstoreConfig = serde_json::from_str(r#"{"compression":"lz4"}"#).unwrap();
        assert_eq!(parsed, GridstoreConfig::for_payloads());
        assert!(serde_json::from_str::<GridstoreConfig>(r#"{"pages":1}"#).is_err());
    }

    #[test]
    fn defaults_are_valid_and_bad_geometry_is_refused() {
        GridstoreConfig::default().validate().unwrap();
        GridstoreConfig::for_payloads().validate().unwrap();
        let d = GridstoreConfig::default();
        for bad in [
            GridstoreConfig {
                block_size: 100,
                ..d
            },
            GridstoreConfig { block_size: 4, ..d },
            GridstoreConfig {
                region_blocks: 0,
                ..d
            },
            GridstoreConfig {
                region_blocks: 100,
                ..d
            },
            GridstoreConfig {
                page_size: 1000,
                ..d
            },
            GridstoreConfig { page_size: 0, ..d },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert_eq!(d.blocks_per_page(), 262_144);
        assert_eq!(d.regions_per_page(), 32);
        assert_eq!(d.blocks_for(0), 0);
        assert_eq!(d.blocks_for(129), 2);
    }
}
