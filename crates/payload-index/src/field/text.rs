//! The full-text index: each string value split into tokens (Qdrant's `word`, `whitespace`,
//! `prefix` and `multilingual` tokenizers, lower-cased, optionally ASCII-folded, stopwords
//! removed, lengths bounded), token → points, and, with phrase matching, each value's token
//! sequence.
//!
//! With this index, `text` holds when every token of the query is among the point's tokens,
//! `text_any` when one is, and `phrase` when the query's tokens appear in order, next to each
//! other, in one value: Qdrant's semantics for an indexed text field. (Without the index, the
//! three are substring tests, as in `qdrant-client`'s Local Mode.) A Snowball stemmer (Qdrant's
//! `{"type": "snowball", "language": ...}`) reduces tokens to their stems after stopwords are
//! removed, with the `stemmer` feature; without it, an index asking for one is refused.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sextant_core::PointOffset;

use crate::filter::{FieldCheck, Match};
use crate::postings::Postings;

/// How text is split into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tokenizer {
    /// Runs of letters and digits (the default).
    #[default]
    Word,
    /// Runs of non-whitespace.
    Whitespace,
    /// Words, each also indexed by its prefixes from `min_token_len` on (queries match word
    /// beginnings).
    Prefix,
    /// Words, with each CJK ideograph, kana or hangul syllable its own token.
    Multilingual,
}

/// The parameters of a full-text index, with Qdrant's names and defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextParams {
    /// How text is split.
    pub tokenizer: Tokenizer,
    /// Shorter tokens are dropped.
    pub min_token_len: Option<usize>,
    /// Longer tokens are dropped.
    pub max_token_len: Option<usize>,
    /// Lower-case every token (default true).
    pub lowercase: bool,
    /// Replace accented Latin letters by their ASCII base (`é` → `e`).
    pub ascii_folding: bool,
    /// Tokens never indexed nor searched (after lower-casing and folding).
    pub stopwords: Vec<String>,
    /// Keep each value's token sequence, for `phrase`.
    pub phrase_matching: bool,
    /// Reduce tokens to their stems (needs the `stemmer` feature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stemmer: Option<Stemmer>,
}

/// A stemmer, as Qdrant names it: `{"type": "snowball", "language": "english"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Stemmer {
    /// A Snowball stemmer for `language` (arabic, danish, dutch, english, finnish, french,
    /// german, greek, hungarian, italian, norwegian, portuguese, romanian, russian, spanish,
    /// swedish, tamil, turkish).
    Snowball {
        /// The language, lower-case.
        language: String,
    },
}

#[cfg(feature = "stemmer")]
impl Stemmer {
    fn algorithm(&self) -> Option<rust_stemmers::Algorithm> {
        use rust_stemmers::Algorithm as A;
        let Stemmer::Snowball { language } = self;
        Some(match language.as_str() {
            "arabic" => A::Arabic,
            "danish" => A::Danish,
            "dutch" => A::Dutch,
            "english" => A::English,
            "finnish" => A::Finnish,
            "french" => A::French,
            "german" => A::German,
            "greek" => A::Greek,
            "hungarian" => A::Hungarian,
            "italian" => A::Italian,
            "norwegian" => A::Norwegian,
            "portuguese" => A::Portuguese,
            "romanian" => A::Romanian,
            "russian" => A::Russian,
            "spanish" => A::Spanish,
            "swedish" => A::Swedish,
            "tamil" => A::Tamil,
            "turkish" => A::Turkish,
            _ => return None,
        })
    }
}

impl Default for TextParams {
    fn default() -> Self {
        Self {
            tokenizer: Tokenizer::Word,
            min_token_len: None,
            max_token_len: None,
            lowercase: true,
            ascii_folding: false,
            stopwords: Vec::new(),
            phrase_matching: false,
            stemmer: None,
        }
    }
}

/// Letters with diacritics → ASCII, for the Latin-1 and Latin Extended-A ranges.
fn fold(c: char) -> char {
    const FROM: &str = "ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčĎďĐđÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħÌÍÎÏìíîïĨĩĪīĬĭĮįİıĴĵĶķĹĺĻļĽľĿŀŁłÑñŃńŅņŇňÒÓÔÕÖØòóôõöøŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųŴŵÝýÿŶŷŸŹźŻżŽž";
    const TO: &str = "AAAAAAaaaaaaAaAaAaCcCcCcCcCcDdDdEEEEeeeeEeEeEeEeEeGgGgGgGgHhHhIIIIiiiiIiIiIiIiIiJjKkLlLlLlLlLlNnNnNnNnOOOOOOooooooOoOoOoRrRrRrSsSsSsSsTtTtTtUUUUuuuuUuUuUuUuUuUuWwYyyYyYZzZzZz";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

impl TextParams {
    /// Why these parameters cannot build an index (an unknown stemmer language, or a stemmer
    /// without the `stemmer` feature); `None` when they can.
    pub fn problem(&self) -> Option<String> {
        let stemmer = self.stemmer.as_ref()?;
        #[cfg(feature = "stemmer")]
        {
            let Stemmer::Snowball { language } = stemmer;
            stemmer
                .algorithm()
                .is_none()
                .then(|| format!("no Snowball stemmer for language {language:?}"))
        }
        #[cfg(not(feature = "stemmer"))]
        {
            let _ = stemmer;
            Some("stemmers need sextant-payload-index's `stemmer` feature".into())
        }
    }

    fn keep(&self, token: &str) -> bool {
        let n = token.chars().count();
        n > 0
            && self.min_token_len.is_none_or(|m| n >= m)
            && self.max_token_len.is_none_or(|m| n <= m)
            && !self.stopwords.iter().any(|s| s == token)
    }

    fn normalize(&self, raw: &str) -> String {
        raw.chars()
            .map(|c| if self.ascii_folding { fold(c) } else { c })
            .flat_map(|c| {
                let lower: Vec<char> = if self.lowercase {
                    c.to_lowercase().collect()
                } else {
                    vec![c]
                };
                lower
            })
            .collect()
    }

    /// The tokens of `text`, in order (as a query or a document without prefixes).
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let mut raw: Vec<&str> = Vec::new();
        match self.tokenizer {
            Tokenizer::Whitespace => raw.extend(text.split_whitespace()),
            Tokenizer::Word | Tokenizer::Prefix => raw.extend(
                text.split(|c: char| !c.is_alphanumeric())
                    .filter(|s| !s.is_empty()),
            ),
            Tokenizer::Multilingual => {
                let mut start = None;
                for (i, c) in text.char_indices() {
                    if is_cjk(c) {
                        if let Some(s) = start.take() {
                            raw.push(&text[s..i]);
                        }
                        raw.push(&text[i..i + c.len_utf8()]);
                    } else if c.is_alphanumeric() {
                        start.get_or_insert(i);
                    } else if let Some(s) = start.take() {
                        raw.push(&text[s..i]);
                    }
                }
                if let Some(s) = start {
                    raw.push(&text[s..]);
                }
            }
        }
        let tokens = raw
            .into_iter()
            .map(|t| self.normalize(t))
            .filter(|t| self.keep(t));
        #[cfg(feature = "stemmer")]
        if let Some(alg) = self.stemmer.as_ref().and_then(Stemmer::algorithm) {
            let stemmer = rust_stemmers::Stemmer::create(alg);
            return tokens.map(|t| stemmer.stem(&t).into_owned()).collect();
        }
        tokens.collect()
    }

    /// The tokens a document is indexed under: its tokens, and for the prefix tokenizer every
    /// prefix of each from `min_token_len` (at least 1) characters on.
    fn index_tokens(&self, text: &str) -> Vec<String> {
        let tokens = self.tokens(text);
        if self.tokenizer != Tokenizer::Prefix {
            return tokens;
        }
        let min = self.min_token_len.unwrap_or(1).max(1);
        let mut out = Vec::new();
        for t in tokens {
            let chars: Vec<char> = t.chars().collect();
            for n in min..=chars.len() {
                out.push(chars[..n].iter().collect());
            }
        }
        out
    }
}

/// Token → points, point → its tokens, and (phrase matching) each value's token sequence.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextIndex {
    pub params: TextParams,
    pub map: BTreeMap<String, Postings>,
    pub forward: super::forward::Forward<String>,
    pub sequences: Vec<Vec<Vec<String>>>,
    pub pairs: usize,
}

impl TextIndex {
    pub fn new(params: TextParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// Indexes the string values of `o`; returns whether it has values of other types.
    pub fn add(&mut self, o: PointOffset, values: &[&Value]) -> bool {
        let mut tokens = BTreeSet::new();
        let mut sequences = Vec::new();
        let mut others = false;
        for v in values {
            match v.as_str() {
                Some(s) => {
                    tokens.extend(self.params.index_tokens(s));
                    if self.params.phrase_matching {
                        sequences.push(self.params.tokens(s));
                    }
                }
                None => others |= !v.is_null(),
            }
        }
        for t in &tokens {
            self.map.entry(t.clone()).or_default().insert(o);
        }
        self.pairs += tokens.len();
        self.forward.set(o, tokens.into_iter().collect());
        let i = o as usize;
        if self.params.phrase_matching {
            if self.sequences.len() <= i {
                self.sequences.resize_with(i + 1, Vec::new);
            }
            self.sequences[i] = sequences;
        }
        others
    }

    pub fn remove(&mut self, o: PointOffset) {
        let Some(tokens) = self.forward.take(o) else {
            return;
        };
        for t in &tokens {
            if let Some(p) = self.map.get_mut(t) {
                p.remove(o);
                if p.is_empty() {
                    self.map.remove(t);
                }
            }
        }
        self.pairs -= tokens.len();
        if let Some(s) = self.sequences.get_mut(o as usize) {
            s.clear();
        }
    }

    /// Number of point slots.
    pub fn points(&self) -> usize {
        self.forward.points()
    }

    /// The query tokens of a text check; `None` for checks this index does not decide.
    fn query(&self, check: &FieldCheck) -> Option<(Vec<String>, Kind)> {
        let FieldCheck::Match(m) = check else {
            return None;
        };
        let (text, kind) = match m {
            Match::Text(t) => (t, Kind::All),
            Match::TextAny(t) => (t, Kind::Any),
            Match::Phrase(t) if self.params.phrase_matching => (t, Kind::Phrase),
            _ => return None,
        };
        Some((self.params.tokens(text), kind))
    }

    /// True for the checks decided here: no value of another type passes them.
    pub fn decides(&self, check: &FieldCheck) -> bool {
        self.query(check).is_some()
    }

    /// The points passing a text check: `Some(points)` (sorted) when this index decides it.
    pub fn passing(&self, check: &FieldCheck) -> Option<Vec<PointOffset>> {
        let (tokens, kind) = self.query(check)?;
        if tokens.is_empty() {
            return Some(Vec::new());
        }
        let lists: Vec<&[PointOffset]> = tokens
            .iter()
            .map(|t| self.map.get(t).map_or(&[][..], Postings::as_slice))
            .collect();
        Some(match kind {
            Kind::Any => {
                let mut all: Vec<PointOffset> = lists.concat();
                all.sort_unstable();
                all.dedup();
                all
            }
            Kind::All | Kind::Phrase => {
                let shortest = lists.iter().min_by_key(|l| l.len()).copied().unwrap_or(&[]);
                shortest
                    .iter()
                    .copied()
                    .filter(|&o| lists.iter().all(|l| l.binary_search(&o).is_ok()))
                    .filter(|&o| kind == Kind::All || self.has_phrase(o, &tokens))
                    .collect()
            }
        })
    }

    fn has_phrase(&self, o: PointOffset, tokens: &[String]) -> bool {
        self.sequences.get(o as usize).is_some_and(|values| {
            values
                .iter()
                .any(|seq| seq.windows(tokens.len()).any(|w| w == tokens))
        })
    }

    /// Does `o` pass a text check this index decides?
    pub fn point_passes(&self, o: PointOffset, check: &FieldCheck) -> Option<bool> {
        let (tokens, kind) = self.query(check)?;
        if tokens.is_empty() {
            return Some(false);
        }
        let own: Vec<&String> = self.forward.keys_of(o).collect();
        let has = |t: &String| own.binary_search(&t).is_ok();
        Some(match kind {
            Kind::Any => tokens.iter().any(has),
            Kind::All => tokens.iter().all(has),
            Kind::Phrase => tokens.iter().all(has) && self.has_phrase(o, &tokens),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    All,
    Any,
    Phrase,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizers_split_like_qdrant() {
        let word = TextParams::default();
        assert_eq!(
            word.tokens("Rust-based vector_search, v2!"),
            ["rust", "based", "vector", "search", "v2"]
        );
        let ws = TextParams {
            tokenizer: Tokenizer::Whitespace,
            ..TextParams::default()
        };
        assert_eq!(ws.tokens("Rust-based  search"), ["rust-based", "search"]);
        let multi = TextParams {
            tokenizer: Tokenizer::Multilingual,
            ..TextParams::default()
        };
        assert_eq!(
            multi.tokens("Qdrant 向量搜索 fast"),
            ["qdrant", "向", "量", "搜", "索", "fast"]
        );
        let folded = TextParams {
            ascii_folding: true,
            stopwords: vec!["the".into()],
            min_token_len: Some(2),
            ..TextParams::default()
        };
        assert_eq!(folded.tokens("The Café à Zürich"), ["cafe", "zurich"]);
        let prefix = TextParams {
            tokenizer: Tokenizer::Prefix,
            min_token_len: Some(2),
            ..TextParams::default()
        };
        assert_eq!(prefix.index_tokens("Rust"), ["ru", "rus", "rust"]);
    }

    #[test]
    fn text_any_and_phrase_on_the_index() {
        let mut idx = TextIndex::new(TextParams {
            phrase_matching: true,
            ..TextParams::default()
        });
        let docs = [
            "fast vector search in rust",
            "rust search engines are fast",
            "vector databases",
        ];
        for (i, d) in docs.iter().enumerate() {
            idx.add(i as u32, &[&Value::from(*d)]);
        }
        let m = |m: Match| FieldCheck::Match(m);
        assert_eq!(
            idx.passing(&m(Match::Text("Rust fast".into()))).unwrap(),
            [0, 1]
        );
        assert_eq!(
            idx.passing(&m(Match::TextAny("databases engines".into())))
                .unwrap(),
            [1, 2]
        );
        assert_eq!(
            idx.passing(&m(Match::Phrase("vector search".into())))
                .unwrap(),
            [0]
        );
        assert_eq!(
            idx.passing(&m(Match::Phrase("search vector".into())))
                .unwrap(),
            Vec::<u32>::new()
        );
        assert_eq!(
            idx.point_passes(1, &m(Match::Text("engines rust".into()))),
            Some(true)
        );
        idx.remove(0);
        assert_eq!(idx.passing(&m(Match::Text("fast".into()))).unwrap(), [1]);
    }
}
