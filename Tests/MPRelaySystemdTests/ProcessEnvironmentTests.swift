import Testing

/// Every test that sets process-wide environment variables (`NOTIFY_SOCKET`, `WATCHDOG_*`,
/// `LISTEN_*`) lives under this suite, so that they run one at a time.
@Suite(.serialized)
struct ProcessEnvironmentTests {}
