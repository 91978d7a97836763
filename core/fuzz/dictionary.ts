/**
 * Dictionaries in AFL's format (`-x`): a file of `name="value"` or `"value"`
 * lines (`#` comments, escapes `\\`, `\"` and `\xNN`, `name@LEVEL=` lines
 * kept up to `-x FILE@LEVEL`), or a directory whose files are one token each.
 * What afl-fuzz skips with a warning (afl-fuzz-extras.c) is skipped likewise.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/** Longest token kept (AFL's MAX_DICT_FILE). */
export const MAX_TOKEN = 128;

/**
 * Parses one dictionary file's text as afl-fuzz does: a line that is not
 * `name="value"` or `"value"`, or whose token is empty or too long, is
 * skipped with a warning naming it; an escape other than `\\`, `\"` and
 * `\xNN` loses its backslash (afl-fuzz warns and takes the next character
 * as it is); a `name@N=` line is kept only up to the dictionary's `level`.
 *
 * @example
 * ```ts
 * import { parseDictionary } from "./dictionary.ts";
 * const [t] = parseDictionary('kw1="GET\\x20"\nkw2@1="deep"\n', "http.dict");
 * console.log(new TextDecoder().decode(t)); // "GET " (kw2 is level 1)
 * ```
 */
export function parseDictionary(
  text: string,
  name: string,
  level = 0,
  warn: (message: string) => void = () => {},
): Uint8Array[] {
  const out: Uint8Array[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim(), where = `${name}:${i + 1}`;
    if (!line || line.startsWith("#")) return;
    // as afl-fuzz: a name (maybe empty), `@` and the level's digits (none: 0), then any spaces
    // and `=` signs before the quote
    const m = /^(?:[A-Za-z0-9_]*(?:@([0-9]*))?[\s=]*)?"(.*)"$/.exec(line);
    if (!m) return warn(`${where}: not a dictionary line (want name="value"): skipped`);
    if (Number(m[1] ?? 0) > level) return;
    const bytes = unescapeToken(m[2], (why) => warn(`${where}: ${why}`));
    if (bytes === null) return;
    if (bytes.length === 0 || bytes.length > MAX_TOKEN) {
      return warn(`${where}: token of ${bytes.length} bytes (1 to ${MAX_TOKEN}): skipped`);
    }
    out.push(Uint8Array.from(bytes));
  });
  return out;
}

/** A token's bytes from its quoted text, or null (with a warning) for a non-printable byte. */
function unescapeToken(v: string, warn: (why: string) => void): number[] | null {
  const bytes: number[] = [];
  for (let k = 0; k < v.length; k++) {
    const ch = v.charCodeAt(k);
    if (ch !== 0x5c) {
      if (ch < 0x20 || ch > 0x7e) {
        warn("unescaped byte: skipped");
        return null;
      }
      bytes.push(ch);
      continue;
    }
    const next = v[k + 1];
    if (next === "\\" || next === '"') {
      bytes.push(next.charCodeAt(0));
      k++;
    } else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(v.slice(k + 2, k + 4))) {
      bytes.push(parseInt(v.slice(k + 2, k + 4), 16));
      k += 3;
    } else warn("bad escape (not \\xNN): its backslash dropped");
  }
  return bytes;
}

/**
 * Loads `-x PATH[@LEVEL]`: a dictionary file (its lines up to LEVEL, default
 * 0, as afl-fuzz) or a directory of token files; `warn` gets the lines skipped.
 */
export function loadDictionary(
  arg: string,
  warn: (message: string) => void = () => {},
): Uint8Array[] {
  const [, path, level] = /^(.*?)(?:@([0-9]+))?$/.exec(arg)!;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new EmuError(`-x ${path}: no such file or directory`);
  }
  if (info.isFile) {
    return parseDictionary(Deno.readTextFileSync(path), path, Number(level ?? 0), warn);
  }
  if (!info.isDirectory) throw new EmuError(`-x ${path}: not a file or a directory`); // /dev/zero
  const out: Uint8Array[] = [];
  for (const e of [...Deno.readDirSync(path)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (!e.isFile) continue;
    const b = Deno.readFileSync(`${path}/${e.name}`);
    if (b.length > MAX_TOKEN) {
      warn(`${path}/${e.name}: ${b.length} bytes, over ${MAX_TOKEN}: skipped`);
    } else if (b.length) out.push(b);
  }
  return out;
}

/**
 * `tokens` without repeats (afl-fuzz keeps one of each, from all `-x`
 * together: "Loaded a total of N extras").
 *
 * @example
 * ```ts
 * import { uniqueTokens } from "./dictionary.ts";
 * const t = (s: string) => new TextEncoder().encode(s);
 * console.log(uniqueTokens([t("GET"), t("PUT"), t("GET")]).length); // 2
 * ```
 */
export function uniqueTokens(tokens: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return tokens.filter((t) => {
    const key = t.join(",");
    return !seen.has(key) && !!seen.add(key);
  });
}
