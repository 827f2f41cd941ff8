//! The pagination-stream benchmarks: pages fetched while the caller works
//! (`stream_overlap`) and memory that stays flat however long the list
//! (`stream_memory`).

use std::time::{Duration, Instant};

use event_invites::Artsvp;
use event_invites::artsvp::{Cursor, InviteQuery};
use event_invites_fake::FakeArtsvp;

use crate::calls::medians;
use crate::{Failure, Figure, Sizes, alloc};

pub(crate) fn artsvp_client(fake: &FakeArtsvp) -> Result<Artsvp, event_invites::Error> {
    fake.client_builder().quota(None).build()
}

/// Streaming pages of 100 invites with 10 ms of server latency and 10 ms of
/// work per page, against a fetch-then-process loop.
pub(crate) async fn stream_overlap(sizes: &Sizes) -> Result<Figure, Failure> {
    let work = Duration::from_millis(10);
    let fake = FakeArtsvp::builder()
        .invites(sizes.overlap_pages * 100)
        .events(1)
        .collections(0)
        .latency(Duration::from_millis(10))
        .unlimited()
        .start()
        .await?;
    let client = artsvp_client(&fake)?;
    let query = InviteQuery::new().limit(100);
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..sizes.overlap_rounds {
        let t = Instant::now();
        let mut pages = client.invite_pages(query.clone());
        let mut seen = 0;
        while let Some(page) = pages.try_next().await? {
            seen += page.items.len();
            tokio::time::sleep(work).await;
        }
        ours.push(t.elapsed());
        assert_eq!(seen, sizes.overlap_pages * 100);

        let t = Instant::now();
        let mut cursor = Cursor::Start;
        loop {
            let page = client.list_invites(&query.clone().cursor(cursor)).await?;
            tokio::time::sleep(work).await;
            match (page.has_more, page.cursor) {
                (true, Some(next)) => cursor = Cursor::After(next),
                _ => break,
            }
        }
        baseline.push(t.elapsed());
    }
    Ok(medians("stream_overlap", ours, baseline, 0.60))
}

/// Peak heap growth while streaming a long list against a list a tenth as
/// long: flat means the stream holds about two pages, however long the list.
/// The client runs on a thread of its own whose allocations alone are
/// counted; the fake server runs on the main runtime's threads.
pub(crate) async fn stream_memory(sizes: &Sizes) -> Result<Figure, Failure> {
    let mut peaks = Vec::new();
    for n in [sizes.memory_large, sizes.memory_small] {
        // The fake's request log would grow with the pages: keep none.
        let fake = FakeArtsvp::builder()
            .invites(n)
            .events(3)
            .collections(1)
            .unlimited()
            .request_log_limit(0)
            .start()
            .await?;
        let (base_url, key) = (fake.base_url().to_string(), fake.api_key().to_string());
        let peak = tokio::task::spawn_blocking(move || -> Result<usize, String> {
            alloc::count_this_thread();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = Artsvp::builder()
                    .base_url(base_url)
                    .api_key(key)
                    .quota(None)
                    .build()
                    .map_err(|e| e.to_string())?;
                let base = alloc::reset_peak();
                let mut items = client.invites(InviteQuery::new().limit(100));
                let mut seen = 0;
                while let Some(invite) = items.try_next().await.map_err(|e| e.to_string())? {
                    seen += 1;
                    drop(invite);
                }
                if seen != n {
                    return Err(format!("streamed {seen} of {n} invites"));
                }
                Ok(alloc::peak().saturating_sub(base))
            })
        })
        .await??;
        peaks.push(peak);
        fake.shutdown().await;
    }
    let kib = |b: usize| b as f64 / 1024.0;
    Ok(Figure::at_most(
        "stream_memory",
        kib(peaks[0]),
        kib(peaks[1]),
        "KiB",
        1.2,
    ))
}
