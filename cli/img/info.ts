/**
 * `emu img info`: qemu-img info's human and JSON reports, with
 * `--backing-chain`.
 *
 * @module
 */

import { backingPath, type BlockDriver, openImage, type SnapshotInfo } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, outputFormat, parseImgArgs } from "./args.ts";
import { qemuJson, sizeToStr } from "./format.ts";

/** One image's info, with qemu-img's JSON field names and order. */
export function imageInfo(img: BlockDriver, path: string): Record<string, unknown> {
  const d = img.describe?.() ?? { dirty: false };
  const info: Record<string, unknown> = {};
  if (d.backingFormat) info["backing-filename-format"] = d.backingFormat;
  if (d.snapshots) info["snapshots"] = d.snapshots;
  info["virtual-size"] = img.size;
  info["filename"] = path;
  if (img.clusterSize) info["cluster-size"] = img.clusterSize;
  info["format"] = img.format;
  info["actual-size"] = img.file.allocatedBytes();
  if (d.formatSpecific) info["format-specific"] = d.formatSpecific;
  if (d.backingFile) info["full-backing-filename"] = backingPath(path, d.backingFile);
  if (d.encrypted) info["encrypted"] = true; // where qemu-img's JSON has it
  if (d.backingFile) info["backing-filename"] = d.backingFile;
  info["dirty-flag"] = d.dirty;
  return info;
}

/** qemu-img's snapshot table ("ID TAG VM SIZE DATE VM CLOCK ICOUNT"). */
export function snapshotTable(list: SnapshotInfo[]): string {
  const lines = [
    "ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT",
  ];
  for (const s of list) {
    const date = new Date(s["date-sec"] * 1000);
    const p2 = (n: number) => String(n).padStart(2, "0");
    const when = `${date.getFullYear()}-${p2(date.getMonth() + 1)}-${p2(date.getDate())} ` +
      `${p2(date.getHours())}:${p2(date.getMinutes())}:${p2(date.getSeconds())}`;
    const secs = s["vm-clock-sec"];
    const clock =
      `${p2(Math.floor(secs / 3600))}:${p2(Math.floor(secs / 60) % 60)}:${p2(secs % 60)}.` +
      String(Math.floor(s["vm-clock-nsec"] / 1e6)).padStart(3, "0");
    lines.push(
      `${s.id.padEnd(9)} ${s.name.padEnd(17)} ${
        sizeToStr(s["vm-state-size"]).padStart(7)
      } ${when} ` +
        `${clock.padStart(12)} ${String(s.icount ?? "").padStart(10)}`,
    );
  }
  return lines.join("\n");
}

/** qemu-img info's human report of one image (`info` from {@linkcode imageInfo}). */
export function imageInfoText(info: Record<string, unknown>): string {
  const lines = [
    `image: ${info.filename}`,
    `file format: ${info.format}`,
    `virtual size: ${sizeToStr(info["virtual-size"] as number)} (${info["virtual-size"]} bytes)`,
    `disk size: ${sizeToStr(info["actual-size"] as number)}`,
  ];
  if (info.encrypted) lines.push("encrypted: yes");
  if (info["cluster-size"]) lines.push(`cluster_size: ${info["cluster-size"]}`);
  if (info["backing-filename"]) {
    const full = info["full-backing-filename"];
    const actual = full !== info["backing-filename"] ? ` (actual path: ${full})` : "";
    lines.push(`backing file: ${info["backing-filename"]}${actual}`);
  }
  if (info["backing-filename-format"]) {
    lines.push(`backing file format: ${info["backing-filename-format"]}`);
  }
  if (info["dirty-flag"]) lines.push("cleanly shut down: no");
  if (info.snapshots) lines.push("Snapshot list:", snapshotTable(info.snapshots as SnapshotInfo[]));
  const spec = info["format-specific"] as { data: Record<string, unknown> } | undefined;
  if (spec) lines.push("Format specific information:", ...nestedLines(spec.data, "    "));
  return lines.join("\n");
}

/**
 * qemu-img's human lines of a format-specific object: `key: value` (dashes as spaces), a
 * nested object or list under its `key:` or `[i]:` four spaces further in.
 */
function nestedLines(data: Record<string, unknown> | unknown[], pad: string): string[] {
  return Object.entries(data).flatMap(([k, v]) => {
    const key = Array.isArray(data) ? `[${k}]` : k.replaceAll("-", " ");
    if (typeof v !== "object" || v === null) return [`${pad}${key}: ${v}`];
    return [`${pad}${key}:`, ...nestedLines(v as Record<string, unknown>, `${pad}    `)];
  });
}

/** Runs `emu img info`. */
export async function infoCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "f:hU", {
    "output": true,
    "backing-chain": false,
    "force-share": false,
    "image-opts": false,
    "object": true,
  });
  const output = outputFormat(args);
  let path: string | undefined = oneImage(args);
  let format = args.get("f");
  const infos: Record<string, unknown>[] = [];
  const seen: string[] = [];
  while (path) {
    const img = await openImage(path, {
      readOnly: true,
      noBacking: true,
      noIo: true,
      format,
      imageOpts: args.has("image-opts"),
    });
    const real = Deno.realPathSync(img.file.path);
    if (seen.includes(real)) {
      img.close();
      throw new EmuError(`Backing file '${path}' creates an infinite loop.`);
    }
    seen.push(real);
    const info = imageInfo(img, path);
    img.close();
    infos.push(info);
    if (!args.has("backing-chain")) break;
    path = info["full-backing-filename"] as string | undefined;
    format = info["backing-filename-format"] as string | undefined;
  }
  if (output === "json") {
    console.log(qemuJson(args.has("backing-chain") ? infos : infos[0]));
  } else console.log(infos.map(imageInfoText).join("\n\n"));
  return 0;
}
