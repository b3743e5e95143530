#[test]
fn smoke() {
    let v = gort_runtime::Runtime::builder().procs(2).build().unwrap().block_on(|| {
        let hs: Vec<_> = (0..1000u64).map(|i| gort_runtime::spawn(move || { gort_runtime::yield_now(); i })).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(v, 499500);
}
#[test]
fn sleep_works() {
    let t = std::time::Instant::now();
    gort_runtime::Runtime::builder().procs(1).build().unwrap().block_on(|| {
        let hs: Vec<_> = (0..100).map(|_| gort_runtime::spawn(|| gort_runtime::time::sleep(std::time::Duration::from_millis(20)))).collect();
        for h in hs { h.join().unwrap(); }
    });
    let e = t.elapsed();
    assert!(e >= std::time::Duration::from_millis(20) && e < std::time::Duration::from_secs(2), "{e:?}");
}
