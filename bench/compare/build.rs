//! Sets `cfg(system_rocksdb)` when RocksDB comes from a system library (`ROCKSDB_LIB_DIR`), so
//! the RocksDB adapter can supply the one C symbol an older library (Debian's 7.8) lacks.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(system_rocksdb)");
    println!("cargo::rerun-if-env-changed=ROCKSDB_LIB_DIR");
    if std::env::var_os("ROCKSDB_LIB_DIR").is_some() {
        println!("cargo::rustc-cfg=system_rocksdb");
    }
}
