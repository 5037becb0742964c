use super::*;

#[test]
fn canonical_url_drops_variants_and_tracking() {
    assert_eq!(
        canonical_url("HTTP://WWW.Example.org/news/story/amp/?utm_source=x&id=3#top").as_deref(),
        Some("https://example.org/news/story?id=3")
    );
    assert_eq!(
        canonical_url("https://m.example.org/a/").as_deref(),
        Some("https://example.org/a")
    );
    assert_eq!(canonical_url("mailto:x@example.org"), None);
}

#[test]
#[ignore]
fn zz_debug() {
    let dir = "/work/shared/eval/dedup/dev";
    let mut names: Vec<_> = std::fs::read_dir(format!("{dir}/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut idx = Index::new();
    let m = DocMeta::default();
    for (i, p) in names.iter().enumerate() {
        idx.insert(i as u64, &std::fs::read_to_string(p).unwrap(), &m);
    }
    let qs = std::env::var("QS").unwrap();
    for q in qs.split(',') {
        let t = std::fs::read_to_string(format!("{dir}/queries/{q}.txt")).unwrap();
        let fp = idx.fingerprint(&t, &m);
        let mut per: HashMap<u32, Vec<usize>> = HashMap::new();
        for &a in &fp.anchors {
            let mut v = vec![];
            idx.anchors.for_each(a, 100000, |s| v.push(s));
            for &s in &v {
                per.entry(s).or_default().push(v.len());
            }
        }
        let mut per: Vec<_> = per.into_iter().filter(|(_, v)| v.len() >= 1).collect();
        per.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        println!(
            "{q}: shingles {} anchors {} -> {:?}",
            fp.shingles,
            fp.anchors.len(),
            per.iter()
                .take(4)
                .map(|(s, v)| (
                    names[*s as usize]
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .to_string(),
                    idx.docs[*s as usize].anchors,
                    v.clone()
                ))
                .collect::<Vec<_>>()
        );
    }
}
