//! Shared fixtures of the kv-proto test binaries: a namespace id, keys, and one instance of
//! every operation for the "every parser" tests (`mod common;`).
#![allow(dead_code)]

use kv_proto::{
    BulkDelete, BulkGet, BulkWrite, BulkWriteItem, CreateNamespace, DeleteNamespace, DeleteValue,
    Error, GetMetadata, GetNamespace, GetValue, Key, ListKeys, ListNamespaces, NamespaceId,
    Operation, PutValue, RenameNamespace, Title, TryGetValue,
};

/// The namespace id every fixture uses.
pub fn ns() -> NamespaceId {
    NamespaceId::new("0f2ac74b498b48028cb68387c421e279").unwrap()
}

/// A valid key.
pub fn key(k: &str) -> Key {
    Key::new(k).unwrap()
}

/// One operation's `parse`, with its output dropped.
pub type Parse = Box<dyn Fn(http::Response<&[u8]>) -> Result<(), Error>>;

fn boxed<O: Operation + 'static>(op: O) -> Parse {
    Box::new(move |r| op.parse(r).map(|_| ()))
}

/// Whether an operation reads a value: its 200 body is the value, whatever it looks like.
pub fn reads_a_value(name: &str) -> bool {
    matches!(name, "GetValue" | "TryGetValue")
}

/// Every operation (each variant of the bulk ones), named, ready to parse any response.
pub fn all_ops() -> Vec<(&'static str, Parse)> {
    vec![
        ("ListNamespaces", boxed(ListNamespaces::new())),
        (
            "CreateNamespace",
            boxed(CreateNamespace::new(Title::new("t").unwrap())),
        ),
        ("GetNamespace", boxed(GetNamespace::new(ns()))),
        (
            "RenameNamespace",
            boxed(RenameNamespace::new(ns(), Title::new("t").unwrap())),
        ),
        ("DeleteNamespace", boxed(DeleteNamespace::new(ns()))),
        ("ListKeys", boxed(ListKeys::new(ns()))),
        ("GetValue", boxed(GetValue::new(ns(), key("k")))),
        ("TryGetValue", boxed(TryGetValue::new(ns(), key("k")))),
        (
            "PutValue",
            boxed(PutValue::new(ns(), key("k"), b"v".to_vec()).unwrap()),
        ),
        ("DeleteValue", boxed(DeleteValue::new(ns(), key("k")))),
        ("GetMetadata", boxed(GetMetadata::new(ns(), key("k")))),
        (
            "BulkWrite",
            boxed(BulkWrite::new(ns(), vec![BulkWriteItem::text(key("k"), "v").unwrap()]).unwrap()),
        ),
        (
            "BulkDelete",
            boxed(BulkDelete::new(ns(), vec![key("k")]).unwrap()),
        ),
        (
            "BulkDelete legacy",
            boxed(
                BulkDelete::new(ns(), vec![key("k")])
                    .unwrap()
                    .legacy_delete_method(),
            ),
        ),
        (
            "BulkGet",
            boxed(BulkGet::new(ns(), vec![key("k")]).unwrap()),
        ),
        (
            "BulkGet two keys",
            boxed(BulkGet::new(ns(), vec![key("k"), key("a")]).unwrap()),
        ),
        (
            "BulkGet json",
            boxed(BulkGet::new(ns(), vec![key("k")]).unwrap().json()),
        ),
        (
            "BulkGet metadata",
            boxed(BulkGet::new(ns(), vec![key("k")]).unwrap().with_metadata()),
        ),
        (
            "BulkGet json metadata",
            boxed(
                BulkGet::new(ns(), vec![key("k")])
                    .unwrap()
                    .json()
                    .with_metadata(),
            ),
        ),
    ]
}
