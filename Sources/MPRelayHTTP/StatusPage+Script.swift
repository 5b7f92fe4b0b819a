extension StatusPage {
    /// The page's script: polls `/status` and `/peers` every second, keeps five minutes of
    /// samples, computes rates from counter differences over the daemon's uptime, and redraws the
    /// tables and charts.
    /// Peer names are set as text, never as markup.
    static let script = #"""
        "use strict";
        const HISTORY = 300;
        const samples = [];
        let previousPeers = new Map();
        let previousTime = 0;

        function formatNumber(value) {
          if (value >= 1e9) return (value / 1e9).toFixed(1) + " G";
          if (value >= 1e6) return (value / 1e6).toFixed(1) + " M";
          if (value >= 1e3) return (value / 1e3).toFixed(1) + " k";
          return Number.isInteger(value) ? String(value) : value.toFixed(1);
        }

        function formatSeconds(seconds) {
          const s = Math.floor(seconds);
          if (s < 60) return s + " s";
          if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
          return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
        }

        function cell(row, text, numeric) {
          const td = document.createElement("td");
          td.textContent = text;
          if (numeric) td.className = "number";
          row.appendChild(td);
        }

        function fillTable(id, rows, key) {
          const body = document.querySelector("#" + id + " tbody");
          const fresh = document.createElement("tbody");
          for (const values of rows) {
            const row = document.createElement("tr");
            if (key) row.dataset[key] = values[0];
            values.forEach((value) => cell(row, String(value), typeof value === "number"));
            fresh.appendChild(row);
          }
          body.replaceWith(fresh);
        }

        // The smallest of 1, 2, 2.5 or 5 times a power of ten at or above the value, so that the
        // four grid lines fall on round numbers.
        function niceCeiling(value) {
          const power = Math.pow(10, Math.floor(Math.log10(value)));
          for (const step of [1, 2, 2.5, 5, 10]) {
            if (step * power >= value) return step * power;
          }
          return 10 * power;
        }

        function drawChart(id, points, unit) {
          const canvas = document.getElementById(id);
          const context = canvas.getContext("2d");
          const style = getComputedStyle(document.documentElement);
          const width = canvas.width, height = canvas.height, left = 52, bottom = 18;
          context.clearRect(0, 0, width, height);
          const maximum = niceCeiling(Math.max(1, ...points));
          context.strokeStyle = style.getPropertyValue("--grid");
          context.fillStyle = style.getPropertyValue("--muted");
          context.font = "11px system-ui, sans-serif";
          context.lineWidth = 1;
          for (let step = 0; step <= 4; step++) {
            const y = Math.round((height - bottom) * (1 - step / 4)) + 0.5;
            context.beginPath();
            context.moveTo(left, y);
            context.lineTo(width, y);
            context.stroke();
            context.fillText(formatNumber(maximum * step / 4) + unit, 2, Math.max(10, y + 4));
          }
          context.fillText("-" + Math.round(HISTORY / 60) + " min", left, height - 4);
          context.fillText("now", width - 24, height - 4);
          context.strokeStyle = style.getPropertyValue("--line");
          context.lineWidth = 2;
          context.beginPath();
          points.forEach((value, index) => {
            const x = left + (width - left) * (HISTORY - points.length + index) / (HISTORY - 1);
            const y = (height - bottom) * (1 - value / maximum);
            if (index === 0) context.moveTo(x, y); else context.lineTo(x, y);
          });
          context.stroke();
          canvas.dataset.points = String(points.length);
          canvas.dataset.latest = points.length ? String(points[points.length - 1]) : "";
        }

        function rate(now, before, field, seconds) {
          return before && seconds > 0 ? Math.max(0, (now[field] - before[field]) / seconds) : 0;
        }

        function render(status, peers, time) {
          const totals = status.totals;
          const last = samples[samples.length - 1];
          const seconds = last ? (time - last.time) / 1000 : 0;
          samples.push({
            time: time,
            messages: totals.messages_relayed,
            bytes: totals.bytes_relayed,
            auth: totals.auth_failures,
            connections: status.connections,
            messageRate: rate(totals, last && last.totals, "messages_relayed", seconds),
            byteRate: rate(totals, last && last.totals, "bytes_relayed", seconds),
            authRate: rate(totals, last && last.totals, "auth_failures", seconds),
            totals: totals,
          });
          while (samples.length > HISTORY) samples.shift();
          const rated = samples.slice(1);
          drawChart("chart-messages", rated.map((s) => s.messageRate), "");
          drawChart("chart-bytes", rated.map((s) => s.byteRate), "B");
          drawChart("chart-connections", samples.map((s) => s.connections), "");
          drawChart("chart-auth", rated.map((s) => s.authRate), "");

          document.getElementById("summary").textContent =
            "mprelayd " + status.version + ", pid " + status.pid + ", up " + formatSeconds(status.uptime_seconds) +
            ", " + status.peers + " peer(s), " + status.connections + " connection(s), log level " + status.log_level;
          fillTable("endpoints", status.endpoints.map((e) =>
            [e.address, e.bound_address || "", e.family, e.state, e.peers]));

          const interval = previousTime ? (time - previousTime) / 1000 : 0;
          const current = new Map();
          const rows = peers.peers.map((p) => {
            current.set(p.connection_id, p);
            const before = previousPeers.get(p.connection_id);
            return [p.name, p.endpoint, p.remote, formatSeconds(p.connected_seconds),
              formatNumber(rate(p, before, "messages_in", interval)), formatNumber(rate(p, before, "messages_out", interval)),
              formatNumber(rate(p, before, "bytes_in", interval)), formatNumber(rate(p, before, "bytes_out", interval)),
              p.queued_messages, p.queued_bytes];
          });
          previousPeers = current;
          previousTime = time;
          fillTable("peers", rows, "peer");
          document.getElementById("peer-count").textContent = "(" + rows.length + ")";
          fillTable("totals", [
            ["messages relayed", totals.messages_relayed],
            ["bytes relayed", totals.bytes_relayed],
            ["auth failures", totals.auth_failures],
            ["connections accepted", totals.connections_accepted],
            ["connections refused", totals.connections_refused],
          ]);
          renderCluster(status.cluster);
        }

        // The cluster section, shown only when the status has a cluster object.
        function renderCluster(cluster) {
          document.getElementById("cluster-section").hidden = !cluster;
          if (!cluster) return;
          fillTable("cluster", [
            ["cluster", cluster.name],
            ["node", cluster.node],
            ["nats server", cluster.nats_connected ? cluster.nats_server : "disconnected, last " + cluster.nats_server],
            ["other nodes", cluster.nodes.length ? cluster.nodes.join(", ") : "none"],
            ["remote peers", cluster.remote_peers],
            ["cross-node frames sent", cluster.frames_sent],
            ["cross-node frames received", cluster.frames_received],
            ["cross-node frame errors", cluster.frame_errors],
            ["nats reconnects", cluster.nats_reconnects],
          ]);
        }

        async function fetchJSON(path) {
          const response = await fetch(path, { cache: "no-store" });
          if (!response.ok) throw new Error(path + ": HTTP " + response.status);
          const answer = await response.json();
          if (!answer.ok) throw new Error(path + ": " + answer.error.message);
          return answer.result;
        }

        async function poll() {
          const state = document.getElementById("state");
          try {
            const [status, peers] = await Promise.all([fetchJSON("/status"), fetchJSON("/peers")]);
            // The daemon's monotonic uptime, not the browser's clock, times the rates.
            render(status, peers, status.uptime_seconds * 1000);
            state.textContent = "live";
            state.className = "state ok";
            document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
          } catch (error) {
            state.textContent = "unreachable: " + error.message;
            state.className = "state bad";
          }
        }

        poll();
        setInterval(poll, 1000);

        """#
}
