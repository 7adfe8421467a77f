//! Connection rules beyond Bernoulli p and edge files (issue 15 item 2): exact degrees, no
//! autapses or multapses when disallowed, CSV and SONATA edges reproduced synapse by synapse, and
//! one failing input per rule.

use burstsim::model::{self, Model, Overrides};
use hdf5_metno as hdf5;

fn build(text: &str, file: &str) -> Result<Model, String> {
    model::from_str(text, file, "conn", &Overrides::default()).map_err(|e| e.to_string())
}

/// `a` (n_a) -> `b` (n_b) with `connect` and extra projection keys; `b` is `a` when n_b = 0.
fn model(n_a: usize, n_b: usize, connect: &str, extra: &str) -> String {
    let to = if n_b == 0 { "a" } else { "b" };
    let b = if n_b == 0 {
        String::new()
    } else {
        format!("[[population]]\nname = \"b\"\nkind = \"pyramidal\"\nsize = {n_b}\n")
    };
    format!(
        "[simulation]\nduration_ms = 1.0\nseed = 11\n[[population]]\nname = \"a\"\nkind = \"pyramidal\"\nsize = {n_a}\n{b}\
         [[projection]]\nfrom = \"a\"\nto = \"{to}\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = {connect}\n{extra}\n"
    )
}

/// (pre, post) of every synapse of the model's first projection, in CSR order.
fn pairs(m: &Model) -> Vec<(u32, u32)> {
    let c = m.network.projections()[0].csr();
    (0..c.row_start.len() - 1).flat_map(|i| c.row(i as u32).iter().map(move |&j| (i as u32, j))).collect()
}

fn degrees(p: &[(u32, u32)], n_pre: usize, n_post: usize) -> (Vec<usize>, Vec<usize>) {
    let (mut out, mut inn) = (vec![0; n_pre], vec![0; n_post]);
    for &(i, j) in p {
        out[i as usize] += 1;
        inn[j as usize] += 1;
    }
    (out, inn)
}

fn unique(p: &[(u32, u32)]) -> bool {
    let mut s = p.to_vec();
    s.sort_unstable();
    s.windows(2).all(|w| w[0] != w[1])
}

#[test]
fn fixed_degrees_and_total_are_exact() {
    let w = "weight = 0.1";
    let m = build(&model(300, 700, "{ rule = \"fixed_indegree\", indegree = 40 }", w), "m.toml").unwrap();
    let p = pairs(&m);
    assert!(degrees(&p, 300, 700).1.iter().all(|&d| d == 40));
    let m =
        build(&model(500, 0, "{ rule = \"fixed_outdegree\", outdegree = 25, allow_multapses = false }", w), "m.toml")
            .unwrap();
    let p = pairs(&m);
    assert!(degrees(&p, 500, 500).0.iter().all(|&d| d == 25));
    assert!(unique(&p) && p.iter().all(|(i, j)| i != j), "no multapses, no autapses (burstsim's default)");
    let m =
        build(&model(200, 300, "{ rule = \"fixed_total_number\", n = 12345, allow_multapses = false }", w), "m.toml")
            .unwrap();
    let p = pairs(&m);
    assert_eq!(p.len(), 12345);
    assert!(unique(&p));
    // without multapses an in-degree of the whole source population is every pair
    let m = build(&model(30, 0, "{ rule = \"fixed_indegree\", indegree = 29, allow_multapses = false }", w), "m.toml")
        .unwrap();
    assert_eq!(pairs(&m).len(), 30 * 29);
    // allow_autapses = true lets i -> i in
    let m = build(
        &model(
            30,
            0,
            "{ rule = \"fixed_indegree\", indegree = 30, allow_multapses = false, allow_autapses = true }",
            w,
        ),
        "m.toml",
    )
    .unwrap();
    assert!(pairs(&m).iter().filter(|(i, j)| i == j).count() == 30);
    // the legacy Bernoulli form and NEST's name are the same wiring
    let a = pairs(&build(&model(100, 0, "{ p = 0.1 }", w), "m.toml").unwrap());
    let b = pairs(&build(&model(100, 0, "{ rule = \"pairwise_bernoulli\", p = 0.1 }", w), "m.toml").unwrap());
    assert_eq!(a, b);
    assert!(a.iter().all(|(i, j)| i != j));
}

#[test]
fn csv_edges_are_the_listed_synapses() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("e.csv"),
        "pre,post,weight,delay_ms\n# two from 2\n2,0,0.5,1.0\n0,3,0.25,0.3\n2,1,0.125,2.0\n0,1,1.0,0.3\n",
    )
    .unwrap();
    let f = d.path().join("m.toml");
    let m = build(&model(3, 4, "{ file = \"e.csv\" }", ""), f.to_str().unwrap()).unwrap();
    let p = &m.network.projections()[0];
    let mut got: Vec<(u32, u32, f32, u32)> = pairs(&m)
        .into_iter()
        .zip(p.weights().per_synapse().unwrap())
        .zip(p.synapse_delays())
        .map(|(((i, j), &w), d)| (i, j, w, d))
        .collect();
    got.sort_by_key(|x| (x.0, x.1));
    assert_eq!(got, vec![(0, 1, 1.0, 3), (0, 3, 0.25, 3), (2, 0, 0.5, 10), (2, 1, 0.125, 20)]);
    // without a header: pre, post, then the weight from the model
    std::fs::write(d.path().join("p.csv"), "0, 1\n1, 2\n").unwrap();
    let m = build(&model(3, 4, "{ file = \"p.csv\" }", "weight = 0.3"), f.to_str().unwrap()).unwrap();
    assert_eq!(pairs(&m), vec![(0, 1), (1, 2)]);
    // bad files: an id out of range, a bad row, a weight given twice, no file
    std::fs::write(d.path().join("big.csv"), "0, 1\n1, 4\n").unwrap();
    let e = build(&model(3, 4, "{ file = \"big.csv\" }", "weight = 0.3"), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("big.csv, line 2") && e.contains("post = 4") && e.contains("connect.file"), "{e}");
    std::fs::write(d.path().join("row.csv"), "0, 1\n1, x\n").unwrap();
    let e = build(&model(3, 4, "{ file = \"row.csv\" }", "weight = 0.3"), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("row.csv, line 2"), "{e}");
    let e = build(&model(3, 4, "{ file = \"e.csv\" }", "weight = 0.3"), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("`weight`") && e.contains("edge file gives"), "{e}");
    let e = build(&model(3, 4, "{ file = \"none.csv\" }", "weight = 0.3"), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("none.csv") && e.contains("cannot read"), "{e}");
}

#[test]
fn sonata_edges_are_the_listed_synapses() {
    let d = tempfile::tempdir().unwrap();
    let h = d.path().join("e.h5");
    {
        let f = hdf5::File::create(&h).unwrap();
        let g = f.create_group("edges/a_to_b").unwrap();
        g.new_dataset_builder().with_data(&[2u64, 0, 1]).create("source_node_id").unwrap();
        g.new_dataset_builder().with_data(&[3u64, 0, 3]).create("target_node_id").unwrap();
        g.new_dataset_builder().with_data(&[0.5f32, 0.25, 0.75]).create("syn_weight").unwrap();
        g.new_dataset_builder().with_data(&[0.8f64, 1.5, 0.1]).create("delay").unwrap();
    }
    let f = d.path().join("m.toml");
    let m = build(&model(3, 4, "{ sonata = \"e.h5\", population = \"a_to_b\" }", ""), f.to_str().unwrap()).unwrap();
    let p = &m.network.projections()[0];
    let got: Vec<_> = pairs(&m).into_iter().zip(p.weights().per_synapse().unwrap()).zip(p.synapse_delays()).collect();
    assert_eq!(got, vec![(((0, 0), &0.25), 15), (((1, 3), &0.75), 1), (((2, 3), &0.5), 8)]);
    // the only population may be left out; a wrong name lists the file's
    assert!(build(&model(3, 4, "{ sonata = \"e.h5\" }", ""), f.to_str().unwrap()).is_ok());
    let e = build(&model(3, 4, "{ sonata = \"e.h5\", population = \"x\" }", ""), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("e.h5") && e.contains("/edges/x") && e.contains("a_to_b"), "{e}");
    // ids beyond the populations
    let e = build(&model(3, 3, "{ sonata = \"e.h5\" }", ""), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("target_node_id[0] = 3") && e.contains("has 3"), "{e}");
    // not HDF5
    std::fs::write(d.path().join("junk.h5"), "not hdf5").unwrap();
    let e = build(&model(3, 4, "{ sonata = \"junk.h5\" }", "weight = 0.1"), f.to_str().unwrap()).unwrap_err();
    assert!(e.contains("junk.h5") && e.contains("cannot open as HDF5"), "{e}");
}

#[test]
fn bad_rules_name_the_key_and_what_was_expected() {
    let w = "weight = 0.1";
    let cases: &[(&str, &[&str])] = &[
        (
            "{ rule = \"fixed_indegree\", indegree = 11, allow_multapses = false }",
            &["connect.indegree", "at most 9", "self-connections"],
        ),
        ("{ rule = \"fixed_outdegree\", outdegree = 2.5 }", &["connect.outdegree", "whole number"]),
        ("{ rule = \"fixed_total_number\", n = 100, allow_multapses = false }", &["connect.n", "at most 90"]),
        ("{ rule = \"fixed_indegree\" }", &["indegree", "(missing)"]),
        ("{ rule = \"fixed_indegree\", k = 3 }", &["unknown key `k`", "indegree"]),
        ("{ rule = \"random\", p = 0.1 }", &["rule", "fixed_indegree"]),
        ("{ p = 0.1, allow_multapses = false }", &["allow_multapses", "only fixed_indegree"]),
        ("\"one_to_many\"", &["connect", "{ rule = ..."]),
    ];
    for (connect, parts) in cases {
        let e = build(&model(10, 0, connect, w), "models/bad.toml").unwrap_err();
        assert!(e.starts_with("models/bad.toml"), "{e}");
        for p in *parts {
            assert!(e.contains(p), "{connect}: message lacks `{p}`: {e}");
        }
    }
    let e = build(&model(10, 0, "{ p = 0.1 }", "weight = { normal = [0.1, -1] }"), "models/bad.toml").unwrap_err();
    assert!(e.contains("weight.normal") && e.contains("sd >= 0"), "{e}");
    let e =
        build(&model(10, 0, "{ p = 0.1 }", "weight = { normal = [0.1, 1], min = -1 }"), "models/bad.toml").unwrap_err();
    assert!(e.contains("weight.min") && e.contains(">= 0"), "{e}");
    let e = build(&model(10, 0, "{ p = 0.1 }", "weight = 0.1\ndelay_ms = { uniform = [1, 1e7] }"), "models/bad.toml")
        .unwrap_err();
    assert!(e.contains("delay_ms") && e.contains("at most"), "{e}");
}

#[test]
fn weight_distributions_clip_at_zero_and_have_their_mean() {
    // 10 000 synapses of normal(0.1, 0.05): mean of the clipped normal 0.1 + (mass below 0 is
    // 2.3 %, moved to 0) ~ 0.1003; standard error 0.05 / 100 = 5e-4, tolerance 5 of them.
    let m = build(&model(100, 100, "\"all_to_all\"", "weight = { normal = [0.1, 0.05] }"), "m.toml").unwrap();
    let w = m.network.projections()[0].weights().per_synapse().unwrap().to_vec();
    assert_eq!(w.len(), 10_000);
    assert!(w.iter().all(|&x| x >= 0.0) && w.contains(&0.0));
    let mean = w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64;
    assert!((mean - 0.1003).abs() < 2.5e-3, "{mean}");
}
