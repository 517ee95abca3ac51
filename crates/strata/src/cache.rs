//! Block cache and table cache. (STUB: helper fills in.)
