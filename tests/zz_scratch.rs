#![cfg(not(target_arch = "wasm32"))]
mod support;
use serde_json::json;
use std::time::Duration;
use support::browser::{Browser, Session};
use support::server::ReplicaServer;

async fn metrics(s: &Session) -> std::collections::BTreeMap<String, f64> {
    s.driver.cdp().performance().get_metrics().await.unwrap().into_iter().map(|m| (m.name, m.value)).collect()
}

#[tokio::test]
#[ignore]
async fn probe() {
    let server = ReplicaServer::start();
    let naive = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bench/naive-extension");
    let iso: Vec<&str> = if std::env::var("NOISO").map(|v| v == "1").unwrap_or(false) { vec!["--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"] } else { vec![] };
    let s = Session::start_with_args(Browser::Chrome, &server, Some(&naive), &iso).await;
    s.driver.cdp().performance().enable().await.unwrap();
    let pr = |m: &std::collections::BTreeMap<String, f64>, tag: &str| println!("{tag}: script={:.4} task={:.4} heap={} docs={} frames={} ts={:.3}", m["ScriptDuration"], m["TaskDuration"], m["JSHeapUsedSize"], m["Documents"], m["Frames"], m["Timestamp"]);
    for round in 0..2 {
        s.driver.goto("about:blank").await.unwrap();
        pr(&metrics(&s).await, &format!("r{round} blank"));
        s.driver.goto(&format!("https://portal.azure.com/storm.html?so_seconds=2&so_run={round}")).await.unwrap();
        pr(&metrics(&s).await, &format!("r{round} storm loaded"));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        pr(&metrics(&s).await, &format!("r{round} storm done"));
        println!("{}", s.js("return [document.documentElement.dataset.naive, document.documentElement.dataset.stormTicks]", vec![]).await);
        s.driver.cdp().performance().disable().await.unwrap();
        s.driver.cdp().performance().enable().await.unwrap();
        pr(&metrics(&s).await, &format!("r{round} after re-enable"));
    }
    // iframe model overview
    for round in 0..2 {
        s.driver.goto("about:blank").await.unwrap();
        pr(&metrics(&s).await, &format!("i{round} blank"));
        s.driver.goto(&format!("https://portal.azure.com/?so_frame=iframe&so_run={round}#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c/isMSAApp~/false")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        pr(&metrics(&s).await, &format!("i{round} loaded"));
        let t = s.driver.cdp().send_raw("Target.getTargets", json!({})).await;
        println!("targets: n_iframe={:?}", t.as_ref().map(|v| v["targetInfos"].as_array().map(|a| a.iter().filter(|t| t["type"]=="iframe").count())).ok());
        if false { println!("targets: {:?}", t.map(|v| v["targetInfos"].as_array().map(|a| a.iter().map(|t| format!("{} {}", t["type"], t["url"])).collect::<Vec<_>>()))); }
        pr(&metrics(&s).await, "before busy");
        s.enter_blade(true).await;
        s.js("setTimeout(() => { const t=performance.now(); while(performance.now()-t<300){} }, 0); return 1", vec![]).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let m = s.driver.cdp().performance().get_metrics().await;
        println!("in-frame metrics: {:?}", m.map(|v| v.into_iter().filter(|m| m.name=="ScriptDuration"||m.name=="Documents").map(|m| (m.name, m.value)).collect::<Vec<_>>()));
        println!("{}", s.js("return [document.documentElement.dataset.naive, location.href]", vec![]).await);
        s.driver.enter_default_frame().await.unwrap();
    }
    s.quit().await;
}
