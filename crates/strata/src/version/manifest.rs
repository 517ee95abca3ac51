//! The MANIFEST log and the `CURRENT` pointer. (STUB: helper fills in.)
