/// What a workload hands back: its summary, and why it failed if it did.
///
/// A failed run still has a summary (what was delivered, what was lost), so the failure travels
/// beside the report instead of replacing it.
struct WorkloadOutcome {
    let report: Report
    let failure: BenchError?
}
