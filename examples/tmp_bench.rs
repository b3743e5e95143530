use std::time::Instant;
fn main() {
    let procs: usize = std::env::var("P").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let rt = gort::Runtime::builder().procs(procs).build().unwrap();
    rt.block_on(|| {
        let mode = std::env::var("MODE").unwrap_or_default();
        for _ in 0..3 {
            let n = 200_000;
            if mode == "spawn" { for _ in 0..20 { for i in 0..n { let h = gort::spawn(move || i); h.join().unwrap(); } } return; }
            if mode == "pp" { for _ in 0..20 {
            let a = std::sync::Arc::new((gort::runtime::ParkSlot::new(), gort::runtime::ParkSlot::new()));
            let b = a.clone();
            let h = gort::spawn(move || { for _ in 0..n { b.0.wait(gort::runtime::WaitReason::Sync); b.1.wake(); } });
            for _ in 0..n { a.0.wake(); a.1.wait(gort::runtime::WaitReason::Sync); }
            h.join().unwrap(); } return; }
            let t = Instant::now();
            for i in 0..n { let h = gort::spawn(move || i); h.join().unwrap(); }
            println!("spawn+join: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
            let t = Instant::now();
            for _ in 0..n { gort::yield_now(); }
            println!("yield: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
            let t = Instant::now();
            let hs: Vec<_> = (0..n).map(|i| gort::spawn(move || i)).collect();
            for h in hs { h.join().unwrap(); }
            println!("burst spawn+join: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
            // ping-pong via ParkSlot
            let a = std::sync::Arc::new((gort::runtime::ParkSlot::new(), gort::runtime::ParkSlot::new()));
            let b = a.clone();
            let t = Instant::now();
            let h = gort::spawn(move || { for _ in 0..n { b.0.wait(gort::runtime::WaitReason::Sync); b.1.wake(); } });
            for _ in 0..n { a.0.wake(); a.1.wait(gort::runtime::WaitReason::Sync); }
            h.join().unwrap();
            println!("pingpong round trip: {:.0} ns", t.elapsed().as_nanos() as f64 / n as f64);
        }
    });
    println!("{:?}", rt.stats());
}
