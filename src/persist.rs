//! The dynamic state of a run as named arrays, for saving a run and continuing it bit-identically
//! (issue 15 item 4: `burstsim run --save-state` and `--restore`).
//!
//! Every part of the network that changes while it runs (membrane state, conductances, spike
//! histories, detector traces, estimates, STP variables, weights, queued delayed spikes, random
//! streams, the protocol's cursor) has one `persist(&mut self, io: &mut StateIo)` method that
//! names each of its state arrays once. The same method saves (the arrays are copied out) and
//! restores (they are copied back, lengths checked), so what is saved and what is restored cannot
//! drift apart. Everything else (parameters, wiring) is rebuilt from the model file and seed.
//!
//! Keys are paths ("populations/pyr/v_s"), which the state file stores as HDF5 groups and datasets,
//! readable with h5py like any other output.

use crate::rng::Rng;
use std::collections::BTreeMap;

/// One saved array.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// 32-bit floats (membrane state, conductances, weights).
    F32(Vec<f32>),
    /// 64-bit floats (estimates, rates).
    F64(Vec<f64>),
    /// 32-bit unsigned integers (neuron indices, counters).
    U32(Vec<u32>),
    /// 64-bit unsigned integers (steps, random-generator words).
    U64(Vec<u64>),
    /// Bytes (flags).
    U8(Vec<u8>),
}

impl Array {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Array::F32(v) => v.len(),
            Array::F64(v) => v.len(),
            Array::U32(v) => v.len(),
            Array::U64(v) => v.len(),
            Array::U8(v) => v.len(),
        }
    }

    /// True when the array holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Array::F32(_) => f32::NAME,
            Array::F64(_) => f64::NAME,
            Array::U32(_) => u32::NAME,
            Array::U64(_) => u64::NAME,
            Array::U8(_) => u8::NAME,
        }
    }
}

/// A type that state arrays hold.
pub trait Element: Copy + Sized {
    /// Name of the type, for messages.
    const NAME: &'static str;
    /// Wraps a vector.
    fn wrap(v: Vec<Self>) -> Array;
    /// The values, when `a` holds this type.
    fn unwrap(a: &Array) -> Option<&[Self]>;
}

macro_rules! element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            const NAME: &'static str = stringify!($t);
            fn wrap(v: Vec<Self>) -> Array {
                Array::$variant(v)
            }
            fn unwrap(a: &Array) -> Option<&[Self]> {
                match a {
                    Array::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
element!(f32, F32);
element!(f64, F64);
element!(u32, U32);
element!(u64, U64);
element!(u8, U8);

/// The four words of a xoshiro256++ generator, as its serde form writes them.
#[derive(serde::Serialize, serde::Deserialize)]
struct RngWords {
    s: [u64; 4],
}

/// Saves or restores named state arrays (see the module documentation).
#[derive(Debug)]
pub struct StateIo {
    saving: bool,
    scope: Vec<String>,
    arrays: BTreeMap<String, Array>,
    problems: Vec<String>,
}

impl StateIo {
    /// An empty state to save into.
    pub fn saving() -> Self {
        StateIo { saving: true, scope: Vec::new(), arrays: BTreeMap::new(), problems: Vec::new() }
    }

    /// A state to restore from.
    pub fn restoring(arrays: BTreeMap<String, Array>) -> Self {
        StateIo { saving: false, scope: Vec::new(), arrays, problems: Vec::new() }
    }

    /// True when saving, false when restoring.
    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// Runs `f` with the keys it names placed under `name`.
    pub fn scope<R>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.scope.push(name.to_string());
        let r = f(self);
        self.scope.pop();
        r
    }

    fn key(&self, name: &str) -> String {
        let mut k = self.scope.join("/");
        if !k.is_empty() {
            k.push('/');
        }
        k.push_str(name);
        k
    }

    /// Notes a problem found while restoring (the model does not match the saved state).
    pub fn problem(&mut self, name: &str, what: impl std::fmt::Display) {
        let k = self.key(name);
        self.problems.push(format!("{k}: {what}"));
    }

    /// The saved values of `name`, or `None` (with a problem noted) when missing or of another
    /// type.
    fn get<T: Element>(&mut self, name: &str) -> Option<Vec<T>> {
        let k = self.key(name);
        match self.arrays.get(&k) {
            None => {
                self.problems.push(format!("{k}: missing from the state file"));
                None
            }
            Some(a) => match T::unwrap(a) {
                Some(v) => Some(v.to_vec()),
                None => {
                    let found = a.type_name();
                    self.problems.push(format!("{k}: holds {found} values, {} expected", T::NAME));
                    None
                }
            },
        }
    }

    fn put<T: Element>(&mut self, name: &str, v: Vec<T>) {
        let k = self.key(name);
        self.arrays.insert(k, T::wrap(v));
    }

    /// True when saving, or when the state holds `name` (for parts that may be absent: what a
    /// continued run records may differ from what the first run recorded).
    pub fn has(&self, name: &str) -> bool {
        self.saving || self.arrays.contains_key(&self.key(name))
    }

    /// A fixed-length array: its length comes from the model, and the saved one must match.
    pub fn slice<T: Element>(&mut self, name: &str, v: &mut [T]) {
        if self.saving {
            self.put(name, v.to_vec());
        } else if let Some(saved) = self.get::<T>(name) {
            if saved.len() == v.len() {
                v.copy_from_slice(&saved);
            } else {
                self.problem(name, format!("holds {} values, the model has {}", saved.len(), v.len()));
            }
        }
    }

    /// An array whose length is state too (a queue, a spike list).
    pub fn vec<T: Element>(&mut self, name: &str, v: &mut Vec<T>) {
        if self.saving {
            self.put(name, v.clone());
        } else if let Some(saved) = self.get::<T>(name) {
            v.clear();
            v.extend_from_slice(&saved);
        }
    }

    /// One value.
    pub fn value<T: Element>(&mut self, name: &str, v: &mut T) {
        self.slice(name, std::slice::from_mut(v));
    }

    /// One index or count (saved as u64).
    pub fn index(&mut self, name: &str, v: &mut usize) {
        let mut x = *v as u64;
        self.value(name, &mut x);
        *v = x as usize;
    }

    /// Flags (saved as bytes, 0 or 1).
    pub fn flags(&mut self, name: &str, v: &mut [bool]) {
        let mut b: Vec<u8> = v.iter().map(|&x| x.into()).collect();
        self.slice(name, &mut b);
        v.iter_mut().zip(&b).for_each(|(x, &y)| *x = y != 0);
    }

    /// One flag.
    pub fn flag(&mut self, name: &str, v: &mut bool) {
        self.flags(name, std::slice::from_mut(v));
    }

    /// A list of lists, saved as the concatenated values (`name`) and each list's length
    /// (`name_len`); the number of lists comes from the model.
    pub fn lists<T: Element>(&mut self, name: &str, v: &mut [Vec<T>]) {
        let mut lens: Vec<u64> = v.iter().map(|l| l.len() as u64).collect();
        let mut flat: Vec<T> = v.iter().flatten().copied().collect();
        self.slice(&format!("{name}_len"), &mut lens);
        self.vec(name, &mut flat);
        if self.saving {
            return;
        }
        if lens.iter().sum::<u64>() != flat.len() as u64 {
            self.problem(
                name,
                format!("holds {} values, its lengths add up to {}", flat.len(), lens.iter().sum::<u64>()),
            );
            return;
        }
        let mut at = 0;
        for (l, &n) in v.iter_mut().zip(&lens) {
            l.clear();
            l.extend_from_slice(&flat[at..at + n as usize]);
            at += n as usize;
        }
    }

    /// Random generators, four words each.
    pub fn rngs(&mut self, name: &str, v: &mut [Rng]) {
        let mut words: Vec<u64> = v.iter().flat_map(rng_words).collect();
        self.slice(name, &mut words);
        if !self.saving {
            for (r, w) in v.iter_mut().zip(words.chunks_exact(4)) {
                *r = rng_from_words([w[0], w[1], w[2], w[3]]);
            }
        }
    }

    /// One random generator.
    pub fn rng(&mut self, name: &str, r: &mut Rng) {
        self.rngs(name, std::slice::from_mut(r));
    }

    /// The saved arrays (after saving).
    pub fn into_arrays(self) -> BTreeMap<String, Array> {
        self.arrays
    }

    /// The saved arrays.
    pub fn arrays(&self) -> &BTreeMap<String, Array> {
        &self.arrays
    }

    /// The problems found while restoring (empty: the state fitted the model).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// The state words of `r` (read through its serde form: the generator has no accessor).
fn rng_words(r: &Rng) -> [u64; 4] {
    let v = serde_json::to_value(r).expect("a generator serialises");
    serde_json::from_value::<RngWords>(v).expect("xoshiro256++ is four words").s
}

/// The generator whose state words are `s`.
fn rng_from_words(s: [u64; 4]) -> Rng {
    let v = serde_json::to_value(RngWords { s }).expect("four words serialise");
    serde_json::from_value(v).expect("four words make a generator")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt as _;

    /// A toy state with every kind of field, saved then restored into a fresh copy.
    #[derive(Clone, Debug, PartialEq)]
    struct Toy {
        v: Vec<f32>,
        q: Vec<u32>,
        lists: Vec<Vec<u64>>,
        on: bool,
        step: u64,
        rng: Rng,
    }

    impl Toy {
        fn persist(&mut self, io: &mut StateIo) {
            io.scope("toy", |io| {
                io.slice("v", &mut self.v);
                io.vec("q", &mut self.q);
                io.lists("lists", &mut self.lists);
                io.flag("on", &mut self.on);
                io.value("step", &mut self.step);
                io.rng("rng", &mut self.rng);
            });
        }
    }

    fn toy() -> Toy {
        Toy {
            v: vec![0.0; 3],
            q: vec![],
            lists: vec![vec![], vec![]],
            on: false,
            step: 0,
            rng: crate::rng::stream_rng(1, crate::rng::Stream::Poisson, &[0]),
        }
    }

    #[test]
    fn a_restored_state_equals_the_saved_one_and_continues_the_same_random_stream() {
        let mut a = toy();
        a.v = vec![1.5, -2.0, 3.25];
        a.q = vec![7, 8, 9, 10];
        a.lists = vec![vec![1, 2], vec![u64::MAX]];
        a.on = true;
        a.step = 12345;
        let _: u64 = a.rng.random();
        let mut io = StateIo::saving();
        a.persist(&mut io);
        let arrays = io.into_arrays();
        assert!(arrays.contains_key("toy/v") && arrays.contains_key("toy/lists_len"));
        let mut b = toy();
        let mut io = StateIo::restoring(arrays);
        b.persist(&mut io);
        assert!(io.problems().is_empty(), "{:?}", io.problems());
        assert_eq!(a, b);
        let (x, y): (u64, u64) = (a.rng.random(), b.rng.random());
        assert_eq!(x, y);
    }

    #[test]
    fn a_state_of_another_shape_is_named_not_restored() {
        let mut a = toy();
        let mut io = StateIo::saving();
        a.persist(&mut io);
        let mut arrays = io.into_arrays();
        arrays.insert("toy/v".into(), Array::F32(vec![1.0; 5]));
        arrays.insert("toy/step".into(), Array::F64(vec![1.0]));
        arrays.remove("toy/q");
        let mut b = toy();
        let mut io = StateIo::restoring(arrays);
        b.persist(&mut io);
        let p = io.problems().join("\n");
        assert!(p.contains("toy/v: holds 5 values, the model has 3"), "{p}");
        assert!(p.contains("toy/step: holds f64 values, u64 expected"), "{p}");
        assert!(p.contains("toy/q: missing"), "{p}");
        assert_eq!(b.v, vec![0.0; 3], "a mismatched array is left alone");
    }
}
