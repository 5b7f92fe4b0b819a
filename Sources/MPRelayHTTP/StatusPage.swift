/// The status page at `/`: static HTML, a script and a style sheet, embedded in the binary so
/// that it works offline and fetches nothing from anywhere but this server.
///
/// The script polls `/status` and `/peers` once a second and draws the last five minutes of
/// messages/s, bytes/s, connections and authentication failures on canvases, with its own small
/// drawing code. It shows the same fields as `mprelayctl`: names, counters, queue depths; never
/// a payload or a key, which the reports do not carry. On a cluster node a Cluster section shows
/// the `cluster` object of `/status`; elsewhere it stays hidden.
enum StatusPage {
    /// The page; the script and the style sheet are separate files so that the Content Security
    /// Policy can forbid inline code.
    static let html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>mprelay</title>
        <link rel="stylesheet" href="/status.css">
        </head>
        <body>
        <header>
          <h1>mprelay</h1>
          <span id="summary">connecting…</span>
          <span id="state" class="state">…</span>
        </header>
        <main>
          <section class="charts">
            <figure><figcaption>messages/s</figcaption><canvas id="chart-messages" width="480" height="150"></canvas></figure>
            <figure><figcaption>bytes/s</figcaption><canvas id="chart-bytes" width="480" height="150"></canvas></figure>
            <figure><figcaption>connections</figcaption><canvas id="chart-connections" width="480" height="150"></canvas></figure>
            <figure><figcaption>auth failures/s</figcaption><canvas id="chart-auth" width="480" height="150"></canvas></figure>
          </section>
          <section>
            <h2>Endpoints</h2>
            <table id="endpoints">
              <thead><tr><th>address</th><th>bound</th><th>family</th><th>state</th><th>peers</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section>
            <h2>Peers <span id="peer-count"></span></h2>
            <table id="peers">
              <thead><tr><th>name</th><th>endpoint</th><th>remote</th><th>connected</th>
              <th>msgs in/s</th><th>msgs out/s</th><th>bytes in/s</th><th>bytes out/s</th>
              <th>queued msgs</th><th>queued bytes</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section id="cluster-section" hidden>
            <h2>Cluster</h2>
            <table id="cluster"><tbody></tbody></table>
          </section>
          <section>
            <h2>Totals</h2>
            <table id="totals"><tbody></tbody></table>
          </section>
        </main>
        <script src="/status.js"></script>
        </body>
        </html>

        """
}
