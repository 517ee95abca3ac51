//! The log format shared by the WAL and the MANIFEST. (STUB: helper fills in.)
