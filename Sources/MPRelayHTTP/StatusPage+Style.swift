extension StatusPage {
    /// The page's style sheet: readable in light and dark mode, tables and charts side by side.
    static let style = """
        :root { color-scheme: light dark; --fg: #1d2433; --bg: #f7f8fa; --card: #ffffff; --line: #2a6fdb;
          --muted: #6b7385; --grid: #e3e6ec; --bad: #c0392b; --good: #1e8e3e; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6e9ef; --bg: #161a22; --card: #1f2430; --line: #6ea8ff; --muted: #98a0b3; --grid: #2c3342; }
        }
        body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1.5em; align-items: baseline; padding: 0.8em 1.5em; background: var(--card);
          border-bottom: 1px solid var(--grid); }
        h1 { font-size: 1.3em; margin: 0; }
        h2 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
        main { padding: 0 1.5em 2em; }
        .state { font-weight: 600; }
        .state.ok { color: var(--good); }
        .state.bad { color: var(--bad); }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1em; margin-top: 1em; }
        figure { margin: 0; padding: 0.6em; background: var(--card); border: 1px solid var(--grid); border-radius: 6px; }
        figcaption { color: var(--muted); margin-bottom: 0.3em; }
        canvas { width: 100%; height: 150px; }
        table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--grid); }
        th, td { padding: 0.3em 0.6em; text-align: left; border-bottom: 1px solid var(--grid); white-space: nowrap; }
        td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
        #summary { color: var(--muted); }

        """
}
