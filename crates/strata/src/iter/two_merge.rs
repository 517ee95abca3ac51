//! Two-way merge: A over B. (STUB: helper fills in.)
