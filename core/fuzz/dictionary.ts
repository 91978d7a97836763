/**
 * Dictionaries in AFL's format (`-x`): a file of `name="value"` or `"value"`
 * lines (`#` comments, escapes `\\`, `\"` and `\xNN`), or a directory whose
 * files are one token each.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/** Longest token kept (AFL's MAX_DICT_FILE). */
export const MAX_TOKEN = 128;

/**
 * Parses one dictionary file's text; errors name the line.
 *
 * @example
 * ```ts
 * import { parseDictionary } from "./dictionary.ts";
 * const [t] = parseDictionary('kw1="GET\\x20"\n', "http.dict");
 * console.log(new TextDecoder().decode(t)); // "GET "
 * ```
 */
export function parseDictionary(text: string, name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(?:[A-Za-z0-9_]+(?:@[0-9]+)?\s*=\s*)?"(.*)"$/.exec(line);
    if (!m) throw new EmuError(`${name}:${i + 1}: not a dictionary line (want name="value")`);
    const bytes: number[] = [];
    const v = m[1];
    for (let k = 0; k < v.length; k++) {
      const ch = v.charCodeAt(k);
      if (ch !== 0x5c) {
        if (ch < 0x20 || ch > 0x7e) throw new EmuError(`${name}:${i + 1}: unescaped byte`);
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
      } else throw new EmuError(`${name}:${i + 1}: bad escape`);
    }
    if (bytes.length === 0 || bytes.length > MAX_TOKEN) {
      throw new EmuError(`${name}:${i + 1}: token of ${bytes.length} bytes (1 to ${MAX_TOKEN})`);
    }
    out.push(Uint8Array.from(bytes));
  });
  return out;
}

/** Loads `-x PATH`: a dictionary file or a directory of token files. */
export function loadDictionary(path: string): Uint8Array[] {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new EmuError(`-x ${path}: no such file or directory`);
  }
  if (info.isFile) return parseDictionary(Deno.readTextFileSync(path), path);
  if (!info.isDirectory) throw new EmuError(`-x ${path}: not a file or a directory`); // /dev/zero
  const out: Uint8Array[] = [];
  for (const e of [...Deno.readDirSync(path)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (!e.isFile) continue;
    const b = Deno.readFileSync(`${path}/${e.name}`);
    if (b.length && b.length <= MAX_TOKEN) out.push(b);
  }
  return out;
}
