//! Sorted string tables. (STUB: helper fills in.)
