/**
 * `emu cov`'s own HTML report (no genhtml needed): an index with the totals,
 * plots of a campaign's coverage and speed over time (from AFL++'s
 * `plot_data`), a table of files and of the functions of modules without
 * line tables; and one page per source file with each line's count and branches taken. Plain
 * HTML and inline SVG: no script, nothing fetched.
 *
 * @module
 */

import type { CoverageReport, FileCoverage } from "./line_coverage.ts";

/** A page of the report: its path inside the report directory, and its text. */
export interface ReportPage {
  path: string;
  html: string;
}

const STYLE = `body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{padding:2px 8px;text-align:left}th{background:#dde}tr:nth-child(even){background:#f4f4f8}
tr.hit td{background:#cfc}tr.miss td{background:#fcc}pre{margin:0}.src td{font-family:monospace;padding:0 6px}
.n{text-align:right;color:#555}.bar{display:inline-block;height:10px;background:#6a6}
svg{border:1px solid #ccc;margin:0 1em 1em 0}`;

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const page = (title: string, body: string) =>
  `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title>` +
  `<style>${STYLE}</style></head><body>${body}</body></html>\n`;

function percent(hit: number, total: number): string {
  return total ? `${(100 * hit / total).toFixed(1)} %` : "-";
}

function totals(f: FileCoverage) {
  const lines = [...f.lines.values()];
  return {
    lines: lines.length,
    linesHit: lines.filter((n) => n > 0n).length,
    fns: f.functions.length,
    fnsHit: f.functions.filter((fn) => fn.count > 0n).length,
  };
}

/** One `plot_data` series: x = relative_time, y = column `column`. */
function series(plotData: string, column: number): [number, number][] {
  return plotData.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
    const c = l.split(",").map((x) => parseFloat(x));
    return [c[0], c[column]] as [number, number];
  }).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
}

/** A line plot of `points` as inline SVG. */
function plot(title: string, points: [number, number][]): string {
  const w = 420, h = 180, pad = 36;
  if (points.length === 0) return "";
  const maxX = Math.max(1, ...points.map((p) => p[0])),
    maxY = Math.max(1, ...points.map((p) => p[1]));
  const xy = points.map(([x, y]) =>
    `${(pad + (w - pad - 8) * x / maxX).toFixed(1)},${
      (h - pad + 8 - (h - pad) * y / maxY).toFixed(1)
    }`
  );
  return `<svg width="${w}" height="${h}" role="img" aria-label="${esc(title)}">` +
    `<text x="${pad}" y="14" font-size="12">${esc(title)} (max ${maxY.toFixed(0)}, ` +
    `${maxX.toFixed(0)} s)</text><polyline fill="none" stroke="#36c" stroke-width="2" ` +
    `points="${xy.join(" ")}"/><line x1="${pad}" y1="${h - pad + 8}" x2="${w - 8}" ` +
    `y2="${h - pad + 8}" stroke="#888"/></svg>`;
}

/** The index page's table of functions found by symbol only (those with code reached). */
function symbolTable(report: CoverageReport): string {
  return report.withoutLines.map((m) => {
    const fns = m.functions.filter((f) => f.blocksHit > 0);
    if (fns.length === 0) return "";
    const rows = fns.map((f) =>
      `<tr><td>${esc(f.name)}</td><td>0x${f.address.toString(16)}</td>` +
      `<td class="n">${f.count}</td><td class="n">${f.blocksHit} / ${f.blocks}</td></tr>`
    ).join("");
    return `<h3>${esc(m.module)} (no line table: functions by symbol)</h3><table>` +
      `<tr><th>function</th><th>address</th><th>calls</th><th>blocks reached</th></tr>${rows}</table>`;
  }).join("");
}

/**
 * The pages of the report of `report`; `sources` gives each file's text
 * (null when it cannot be read), `plotData` a campaign's `plot_data`.
 *
 * @example
 * ```ts ignore
 * for (const p of htmlReport(report, (f) => Deno.readTextFileSync(f), null)) {
 *   Deno.writeTextFileSync(`${out}/${p.path}`, p.html);
 * }
 * ```
 */
export function htmlReport(
  report: CoverageReport,
  sources: (path: string) => string | null,
  plotData: string | null,
  title = "Coverage",
): ReportPage[] {
  const pages: ReportPage[] = [];
  const all = report.files.map(totals);
  const sum = (k: keyof ReturnType<typeof totals>) => all.reduce((a, t) => a + t[k], 0);
  const rows = report.files.map((f, i) => {
    const t = all[i], path = `files/${i}.html`;
    pages.push({ path, html: filePage(f, sources(f.path)) });
    const pct = t.lines ? 100 * t.linesHit / t.lines : 0;
    return `<tr><td><a href="${path}">${esc(f.path)}</a></td>` +
      `<td><span class="bar" style="width:${pct.toFixed(0)}px"></span></td>` +
      `<td class="n">${t.linesHit} / ${t.lines}</td><td class="n">${
        percent(t.linesHit, t.lines)
      }</td>` +
      `<td class="n">${t.fnsHit} / ${t.fns}</td></tr>`;
  }).join("");
  const plots = plotData === null ? "" : `<h2>Campaign</h2>` +
    plot("edges found", series(plotData, 12)) + plot("execs/s", series(plotData, 10));
  const index = `<h1>${esc(title)}</h1><p>Lines: ${sum("linesHit")} of ${sum("lines")} ` +
    `(${percent(sum("linesHit"), sum("lines"))}); functions: ${sum("fnsHit")} of ${
      sum("fns")
    }.</p>` +
    plots + `<h2>Files</h2><table><tr><th>file</th><th></th><th>lines hit</th><th></th>` +
    `<th>functions hit</th></tr>${rows}</table>${symbolTable(report)}`;
  pages.unshift({ path: "index.html", html: page(title, index) });
  return pages;
}

function filePage(f: FileCoverage, source: string | null): string {
  const t = totals(f);
  const text = source?.split("\n") ?? [];
  const last = Math.max(text.length, ...f.lines.keys());
  const branches = new Map<number, bigint[]>();
  for (const b of f.branches) branches.set(b.line, [...branches.get(b.line) ?? [], ...b.taken]);
  const rows: string[] = [];
  for (let line = 1; line <= last; line++) {
    const n = f.lines.get(line), ways = branches.get(line);
    const cls = n === undefined ? "" : n > 0n ? "hit" : "miss";
    const taken = ways ? `${ways.filter((w) => w > 0n).length} / ${ways.length}` : "";
    rows.push(
      `<tr class="${cls}"><td class="n">${line}</td><td class="n">${n ?? ""}</td>` +
        `<td class="n">${taken}</td><td><pre>${esc(text[line - 1] ?? "")}</pre></td></tr>`,
    );
  }
  const fns = [...f.functions].sort((a, b) => a.line - b.line).map((fn) =>
    `<tr class="${fn.count > 0n ? "hit" : "miss"}"><td>${esc(fn.name)}</td>` +
    `<td class="n">${fn.line}</td><td class="n">${fn.count}</td></tr>`
  ).join("");
  return page(
    f.path,
    `<p><a href="../index.html">index</a></p><h1>${esc(f.path)}</h1>` +
      `<p>Lines: ${t.linesHit} of ${t.lines} (${percent(t.linesHit, t.lines)}).` +
      `${source === null ? " The source file could not be read." : ""}</p>` +
      `<table><tr><th>function</th><th>line</th><th>calls</th></tr>${fns}</table><br>` +
      `<table class="src"><tr><th>line</th><th>count</th><th>branches taken</th><th>source</th></tr>${
        rows.join("")
      }</table>`,
  );
}
