/**
 * DWARF line tables (`.debug_line`, versions 2 to 5): which source file and
 * line each code address comes from. The line-number program of each unit is
 * run as the DWARF 5 standard (section 6.2) describes, into rows sorted by
 * address. Version 5 headers describe their directory and file entries with
 * (content type, form) pairs and may keep the strings in `.debug_line_str`;
 * gcc for riscv64 emits version 5 by default, `-gdwarf-4` gives version 4.
 *
 * Version 4 and older headers do not name the compilation directory (it is in
 * `.debug_info`), so their files in directory 0 stay relative. The input is
 * untrusted: anything malformed is a {@linkcode DwarfError}.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { DwarfReader } from "./reader.ts";

/** A malformed line table. */
export class DwarfError extends EmuError {}

/** One row of a line table: code from `address` on comes from `file`:`line`. */
export interface LineRow {
  address: bigint;
  /** index into {@linkcode LineTable.files} */
  file: number;
  line: number;
  /** the first address after a sequence (no code of its own) */
  end: boolean;
}

/** The line tables of one ELF file. */
export interface LineTable {
  /** source paths (directory joined, as the compiler wrote them) */
  files: string[];
  /** every row, by address; a row with `end` closes the range before it */
  rows: LineRow[];
}

const DW_LNS = {
  copy: 1,
  advancePc: 2,
  advanceLine: 3,
  setFile: 4,
  setColumn: 5,
  negateStmt: 6,
  setBasicBlock: 7,
  constAddPc: 8,
  fixedAdvancePc: 9,
  setPrologueEnd: 10,
  setEpilogueBegin: 11,
  setIsa: 12,
} as const;
const DW_LNE = { endSequence: 1, setAddress: 2, defineFile: 3 } as const;
/** DW_LNCT_*: what a version 5 directory or file entry field holds. */
const DW_LNCT = { path: 1, directoryIndex: 2 } as const;

/** The header fields the line-number program needs. */
interface Header {
  version: number;
  minInsnLength: number;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardLengths: number[];
  /** file entry index -> index into the table's files */
  fileIds: number[];
}

/**
 * Parses `.debug_line` (with `.debug_line_str` and `.debug_str` for version
 * 5 string forms).
 *
 * @example
 * ```ts ignore
 * import { sectionBytes } from "../elf_sections.ts";
 * const t = parseLineTable(sectionBytes(elf, ".debug_line")!, {
 *   lineStr: sectionBytes(elf, ".debug_line_str"),
 *   str: sectionBytes(elf, ".debug_str"),
 * });
 * console.log(linesAt(t, 0x10430n)); // [ { file: "hello.c", line: 3 } ]
 * ```
 */
export function parseLineTable(
  debugLine: Uint8Array,
  strings: { lineStr?: Uint8Array | null; str?: Uint8Array | null } = {},
): LineTable {
  const table: LineTable = { files: [], rows: [] };
  const fileIndex = new Map<string, number>();
  const addFile = (path: string) => {
    let id = fileIndex.get(path);
    if (id === undefined) fileIndex.set(path, id = table.files.push(path) - 1);
    return id;
  };
  const r = new DwarfReader(debugLine, strings, (m) => new DwarfError(`.debug_line: ${m}`));
  while (r.pos < debugLine.length) {
    const { end, offsetSize } = r.unitLength();
    const header = readHeader(r, offsetSize, addFile);
    runProgram(r.sub(end), header, table.rows, addFile);
    r.pos = end;
  }
  table.rows.sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : +b.end - +a.end
  );
  return table;
}

function readHeader(
  r: DwarfReader,
  offsetSize: 4 | 8,
  addFile: (path: string) => number,
): Header {
  const version = r.u16();
  if (version < 2 || version > 5) throw r.error(`version ${version} is not supported`);
  if (version >= 5) {
    r.u8(); // address_size
    r.u8(); // segment_selector_size
  }
  const headerLength = r.offset(offsetSize);
  const programStart = r.pos + headerLength;
  const minInsnLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (VLIW only)
  r.u8(); // default_is_stmt
  const lineBase = r.i8(), lineRange = r.u8(), opcodeBase = r.u8();
  if (lineRange === 0) throw r.error("line_range is 0");
  const standardLengths = Array.from({ length: Math.max(0, opcodeBase - 1) }, () => r.u8());
  const fileIds = version >= 5 ? readEntriesV5(r, offsetSize, addFile) : readEntriesV4(r, addFile);
  r.pos = programStart;
  return { version, minInsnLength, lineBase, lineRange, opcodeBase, standardLengths, fileIds };
}

function join(dir: string, name: string): string {
  if (name.startsWith("/") || dir === "" || dir === ".") return name;
  return `${dir.replace(/\/$/, "")}/${name}`;
}

/** Version 2-4 directory and file lists; file 0 is unused (numbering starts at 1). */
function readEntriesV4(r: DwarfReader, addFile: (path: string) => number): number[] {
  const dirs = [""];
  for (let d = r.cstring(); d !== ""; d = r.cstring()) dirs.push(d);
  const ids = [-1];
  for (let name = r.cstring(); name !== ""; name = r.cstring()) {
    const dir = r.uleb();
    r.uleb(); // modification time
    r.uleb(); // length
    ids.push(addFile(join(dirs[dir] ?? "", name)));
  }
  return ids;
}

/** One version 5 entry list: each entry's fields, as their (content type, form) pairs say. */
function readEntryList(r: DwarfReader, offsetSize: 4 | 8): { path: string; dir: number }[] {
  const formats = Array.from({ length: r.u8() }, () => [r.uleb(), r.uleb()] as const);
  const count = r.uleb();
  const out: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    const e = { path: "", dir: 0 };
    for (const [type, form] of formats) {
      const v = r.form(form, offsetSize);
      if (type === DW_LNCT.path) e.path = typeof v === "string" ? v : "";
      else if (type === DW_LNCT.directoryIndex && typeof v === "bigint") e.dir = Number(v);
    }
    out.push(e);
  }
  return out;
}

/** Version 5 directory and file lists; file 0 is the primary source file. */
function readEntriesV5(
  r: DwarfReader,
  offsetSize: 4 | 8,
  addFile: (path: string) => number,
): number[] {
  const dirs = readEntryList(r, offsetSize).map((d) => d.path);
  return readEntryList(r, offsetSize).map((f) => addFile(join(dirs[f.dir] ?? "", f.path)));
}

/** Runs one unit's line-number program, appending its rows to `rows`. */
function runProgram(
  r: DwarfReader,
  h: Header,
  rows: LineRow[],
  addFile: (path: string) => number,
): void {
  let address = 0n, file = 1, line = 1;
  const fileId = (i: number) => h.fileIds[i] ?? -1;
  const emit = (end: boolean) => {
    if (fileId(file) >= 0) rows.push({ address, file: fileId(file), line, end });
  };
  const advance = (opAdvance: number) => address += BigInt(opAdvance * h.minInsnLength);
  while (!r.done) {
    const op = r.u8();
    if (op >= h.opcodeBase) {
      const adj = op - h.opcodeBase;
      advance(Math.floor(adj / h.lineRange));
      line += h.lineBase + (adj % h.lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb(), next = r.pos + len;
        const sub = len > 0 ? r.u8() : 0;
        if (sub === DW_LNE.endSequence) {
          emit(true);
          address = 0n, file = 1, line = 1;
        } else if (sub === DW_LNE.setAddress) address = r.address(len - 1);
        else if (sub === DW_LNE.defineFile) {
          h.fileIds.push(addFile(r.cstring()));
        }
        r.pos = next;
        break;
      }
      case DW_LNS.copy:
        emit(false);
        break;
      case DW_LNS.advancePc:
        advance(r.uleb());
        break;
      case DW_LNS.advanceLine:
        line += r.sleb();
        break;
      case DW_LNS.setFile:
        file = r.uleb();
        break;
      case DW_LNS.constAddPc:
        advance(Math.floor((255 - h.opcodeBase) / h.lineRange));
        break;
      case DW_LNS.fixedAdvancePc:
        address += BigInt(r.u16());
        break;
      default: // set_column, negate_stmt, set_basic_block, prologue/epilogue, isa, unknown
        for (let i = 0; i < (h.standardLengths[op - 1] ?? 0); i++) r.uleb();
    }
  }
}

/**
 * The source lines of the code at `address` (already unbiased): every row at
 * the last row address at or before it (compilers give one address several
 * rows, e.g. a function's opening line and its first statement); none when
 * it is outside every sequence.
 *
 * @example
 * ```ts ignore
 * for (const at of linesAt(table, pc - module.bias)) console.log(`${at.file}:${at.line}`);
 * ```
 */
export function linesAt(t: LineTable, address: bigint): { file: string; line: number }[] {
  let lo = 0, hi = t.rows.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.rows[mid].address <= address) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const out: { file: string; line: number }[] = [];
  for (let i = found; i >= 0 && t.rows[i].address === t.rows[found].address; i--) {
    const row = t.rows[i];
    if (!row.end) out.unshift({ file: t.files[row.file], line: row.line });
  }
  return out;
}
