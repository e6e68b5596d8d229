//! The full-text index against a reference of Qdrant's tokenized semantics (`text`: every
//! query token among the point's tokens, `text_any`: one of them, `phrase`: in order in one
//! value), through updates and deletes; materialized sets, per-point checks and counts agree.

use serde_json::json;
use sextant_core::PointOffset;
use sextant_payload_index::{Filter, PayloadIndex, TextParams, Tokenizer};

mod common;
use common::Store;

const WORDS: [&str; 8] = [
    "Rust", "vector", "search", "Fast", "engine", "the", "café", "index",
];

fn doc(seed: &mut u64) -> String {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let n = 1 + next() % 6;
    (0..n)
        .map(|_| WORDS[(next() % 8) as usize])
        .collect::<Vec<_>>()
        .join(if next() % 2 == 0 { " " } else { ", " })
}

fn reference(params: &TextParams, values: &[String], kind: &str, query: &str) -> bool {
    let q = params.tokens(query);
    if q.is_empty() {
        return false;
    }
    let docs: Vec<Vec<String>> = values.iter().map(|v| params.tokens(v)).collect();
    let all: Vec<&String> = docs.iter().flatten().collect();
    match kind {
        "text" => q.iter().all(|t| all.contains(&t)),
        "text_any" => q.iter().any(|t| all.contains(&t)),
        _ => docs
            .iter()
            .any(|d| d.windows(q.len()).any(|w| w == q.as_slice())),
    }
}

#[test]
fn text_index_follows_tokenized_semantics() {
    for params in [
        TextParams {
            phrase_matching: true,
            ..TextParams::default()
        },
        TextParams {
            ascii_folding: true,
            stopwords: vec!["the".into()],
            phrase_matching: true,
            ..TextParams::default()
        },
        TextParams {
            tokenizer: Tokenizer::Whitespace,
            lowercase: false,
            phrase_matching: true,
            ..TextParams::default()
        },
    ] {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut store = Store(Vec::new());
        let mut index = PayloadIndex::new();
        index
            .create_text_field("t", params.clone(), &store)
            .unwrap();
        let mut values: Vec<Vec<String>> = Vec::new();
        for o in 0..200u32 {
            let vals: Vec<String> = (0..1 + o % 2).map(|_| doc(&mut seed)).collect();
            let p = json!({"t": vals});
            index.set(o, &p).unwrap();
            store.0.push(Some(p));
            values.push(vals);
        }
        for o in (0..200u32).step_by(7) {
            index.delete(o);
            store.0[o as usize] = None;
        }
        for query in [
            "rust",
            "Rust fast",
            "vector search",
            "search vector",
            "cafe",
            "café index",
            "the",
            "engine, Fast",
            "x",
        ] {
            for kind in ["text", "text_any", "phrase"] {
                let f =
                    Filter::from_value(&json!({"must": [{"key": "t", "match": {kind: query}}]}))
                        .unwrap();
                let want: Vec<PointOffset> = (0..200u32)
                    .filter(|&o| {
                        store.0[o as usize].is_some()
                            && reference(&params, &values[o as usize], kind, query)
                    })
                    .collect();
                let got: Vec<PointOffset> = index.filter(&f, &store).iter().collect();
                assert_eq!(got, want, "{params:?} {kind} {query:?}");
                let plan = index.plan(&f, &store);
                let checked: Vec<PointOffset> = (0..200u32).filter(|&o| plan.check(o)).collect();
                assert_eq!(checked, want, "{kind} {query:?} per point");
                assert_eq!(
                    index.count(&f, &store),
                    want.len(),
                    "{kind} {query:?} count"
                );
            }
        }
    }
}

/// Qdrant's Snowball stemmer config: documents and queries meet on stems; an index that asks
/// for a stemmer this build cannot serve is refused, and so is a saved file that needs one.
#[test]
fn stemmers_match_word_forms_or_are_refused() {
    use sextant_payload_index::Stemmer;
    let store = Store(vec![
        Some(json!({"t": "Running quickly through indexes"})),
        Some(json!({"t": "the runner indexed it"})),
        Some(json!({"t": "nothing here"})),
    ]);
    let mut index = PayloadIndex::new();
    for o in 0..3u32 {
        index.set(o, store.0[o as usize].as_ref().unwrap()).unwrap();
    }
    let params: TextParams =
        serde_json::from_value(json!({"stemmer": {"type": "snowball", "language": "english"}}))
            .unwrap();
    assert_eq!(
        params.stemmer,
        Some(Stemmer::Snowball {
            language: "english".into()
        })
    );
    let made = index.create_text_field("t", params.clone(), &store);
    let ids = |index: &PayloadIndex, q: &str| -> Vec<PointOffset> {
        let f = Filter::from_value(&json!({"must": {"key": "t", "match": {"text": q}}})).unwrap();
        index.filter(&f, &store).iter().collect()
    };
    if cfg!(feature = "stemmer") {
        made.unwrap();
        assert_eq!(params.tokens("Running indexes"), ["run", "index"]);
        assert_eq!(ids(&index, "runs"), [0]);
        assert_eq!(ids(&index, "index"), [0, 1]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stemmed.idx");
        index.save(&path).unwrap();
        let opened = PayloadIndex::open_mapped(&path).unwrap();
        assert_eq!(ids(&opened, "indexing"), [0, 1]);
        let klingon = TextParams {
            stemmer: Some(Stemmer::Snowball {
                language: "klingon".into(),
            }),
            ..TextParams::default()
        };
        let err = index.create_text_field("t", klingon, &store).unwrap_err();
        assert!(err.to_string().contains("klingon"), "{err}");
    } else {
        let err = made.unwrap_err();
        assert!(err.to_string().contains("stemmer"), "{err}");
    }
}
