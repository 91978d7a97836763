/**
 * What `emu fuzz` shows while it runs: on a terminal a status screen redrawn
 * in place (AFL's, reduced to the figures that matter), otherwise one plain
 * line every few seconds; and a summary at the end.
 *
 * @module
 */

import type { FuzzStats } from "../core/fuzz/output.ts";

function ago(now: number, t: number): string {
  if (!t) return "none yet";
  const s = Math.floor((now - t) / 1000);
  return `${Math.floor(s / 3600)} h, ${Math.floor(s / 60) % 60} min, ${s % 60} sec ago`;
}

function runTime(s: FuzzStats): string {
  const sec = Math.floor((s.lastUpdate - s.startTime) / 1000);
  return `${Math.floor(sec / 3600)} h, ${Math.floor(sec / 60) % 60} min, ${sec % 60} sec`;
}

/** The status screen (without the escape that homes the cursor). */
export function statusScreen(s: FuzzStats, harness: string): string {
  const now = s.lastUpdate;
  const cvg = (s.edgesFound * 100 / s.mapSize).toFixed(2);
  const row = (a: string, b: string) => `  ${a.padEnd(44)} ${b}`;
  return [
    `  denemu fuzz (${s.banner}) [${harness}]`,
    "",
    row(`run time : ${runTime(s)}`, `cycles done : ${s.cyclesDone}`),
    row(`last new find : ${ago(now, s.lastFind)}`, `corpus count : ${s.corpusCount}`),
    row(`last saved crash : ${ago(now, s.lastCrash)}`, `saved crashes : ${s.savedCrashes}`),
    row(`last saved hang : ${ago(now, s.lastHang)}`, `saved hangs : ${s.savedHangs}`),
    row(`now processing : ${s.curItem}`, `favored items : ${s.corpusFavored}`),
    row(`exec speed : ${s.execsPerSec.toFixed(0)}/sec`, `total execs : ${s.execsDone}`),
    row(
      `map coverage : ${cvg}% (${s.edgesFound} entries)`,
      `stability : ${s.stability.toFixed(2)}%`,
    ),
    row(`timeout : ${s.execTimeout} instructions`, `pending : ${s.pendingFavs}/${s.pendingTotal}`),
    "",
    "  Ctrl-C ends the campaign (nothing found is lost).",
  ].map((l) => l + "\x1b[K").join("\n");
}

/** The line printed every few seconds without a terminal. */
export function statusLine(s: FuzzStats): string {
  const sec = Math.floor((s.lastUpdate - s.startTime) / 1000);
  return `[${sec}s] execs ${s.execsDone} (${s.execsPerSec.toFixed(0)}/s), corpus ` +
    `${s.corpusCount} (${s.corpusFavored} favored), crashes ${s.savedCrashes}, hangs ` +
    `${s.savedHangs}, map ${(s.edgesFound * 100 / s.mapSize).toFixed(2)}%, cycle ${s.cyclesDone}`;
}

/** The summary at the end of a campaign. */
export function summary(s: FuzzStats, dir: string): string {
  return `emu fuzz: ${runTime(s)}, ${s.execsDone} execs (${s.execsPerSec.toFixed(0)}/s), ` +
    `corpus ${s.corpusCount}, ${s.savedCrashes} crashes, ${s.savedHangs} hangs, map ` +
    `${(s.edgesFound * 100 / s.mapSize).toFixed(2)}%; results in ${dir}`;
}
