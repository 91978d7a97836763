/**
 * `emu img check`: qemu-img check's report, JSON output and exit codes
 * (0 clean, 1 check failed, 2 corruptions, 3 leaks only), with `-r leaks|all`.
 *
 * @module
 */

import type { CheckResult } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, outputFormat, parseImgArgs } from "./args.ts";
import { percent, qemuJson } from "./format.ts";
import { openWritable } from "./open.ts";

function human(r: CheckResult): string {
  const out: string[] = [];
  if (!(r.corruptions || r.leaks || r.checkErrors)) out.push("No errors were found on the image.");
  if (r.corruptions) {
    out.push(
      `\n${r.corruptions} errors were found on the image.\n` +
        "Data may be corrupted, or further writes to the image may corrupt it.",
    );
  }
  if (r.leaks) {
    out.push(
      `\n${r.leaks} leaked clusters were found on the image.\n` +
        "This means waste of disk space, but no harm to data.",
    );
  }
  if (r.checkErrors) out.push(`\n${r.checkErrors} internal errors have occurred during the check.`);
  if (r.totalClusters && r.allocatedClusters) {
    out.push(
      `${r.allocatedClusters}/${r.totalClusters} = ${
        percent(r.allocatedClusters, r.totalClusters)
      }% allocated, ` +
        `${percent(r.fragmentedClusters, r.allocatedClusters)}% fragmented, ` +
        `${percent(r.compressedClusters, r.allocatedClusters)}% compressed clusters`,
    );
  }
  if (r.imageEndOffset) out.push(`Image end offset: ${r.imageEndOffset}`);
  return out.join("\n");
}

function json(r: CheckResult, path: string, format: string): string {
  const o: Record<string, unknown> = {
    "image-end-offset": r.imageEndOffset,
    "total-clusters": r.totalClusters,
    "check-errors": r.checkErrors,
  };
  if (r.leaks) o["leaks"] = r.leaks;
  if (r.corruptions) o["corruptions"] = r.corruptions;
  if (r.allocatedClusters) o["allocated-clusters"] = r.allocatedClusters;
  o["filename"] = path;
  if (r.compressedClusters) o["compressed-clusters"] = r.compressedClusters;
  o["format"] = format;
  if (r.fragmentedClusters) o["fragmented-clusters"] = r.fragmentedClusters;
  if (r.leaksFixed) o["leaks-fixed"] = r.leaksFixed;
  if (r.corruptionsFixed) o["corruptions-fixed"] = r.corruptionsFixed;
  return qemuJson(o);
}

/** Runs `emu img check`. */
export async function checkCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "f:r:hqU", {
    "output": true,
    "repair": true,
    "force-share": false,
    "image-opts": false,
    "object": true,
  });
  const output = outputFormat(args);
  const path = oneImage(args);
  const mode = args.get("r") ?? args.get("repair");
  if (mode !== undefined && mode !== "leaks" && mode !== "all") {
    throw new EmuError(`Unknown option value for -r (expecting 'leaks' or 'all'): ${mode}`);
  }
  const quiet = args.has("q");
  const img = await openWritable(path, {
    readOnly: !mode, // the backing chain opens too: a broken one fails the check, as in qemu-img
    check: true,
    format: args.get("f"),
    imageOpts: args.has("image-opts"),
  });
  try {
    if (!img.check) {
      console.error(`qemu-img: This image format does not support checks`);
      return 63;
    }
    const log = (line: string) => console.error(line);
    let r = img.check(mode, log);
    if (r.failure === undefined && (r.leaksFixed || r.corruptionsFixed)) {
      if (output === "human" && !quiet) {
        console.log(
          `The following inconsistencies were found and repaired:\n\n` +
            `    ${r.leaksFixed} leaked clusters\n    ${r.corruptionsFixed} corruptions\n\n` +
            "Double checking the fixed image now...",
        );
      }
      const fixed = img.check(undefined, log);
      r = { ...fixed, leaksFixed: r.leaksFixed, corruptionsFixed: r.corruptionsFixed };
    }
    if (r.failure === undefined) {
      if (output === "json") console.log(json(r, path, img.format));
      else if (!quiet) console.log(human(r));
    }
    if (r.failure !== undefined || r.checkErrors) {
      console.error(`qemu-img: Check failed${r.failure ? `: ${r.failure}` : ""}`);
      return 1;
    }
    return r.corruptions ? 2 : r.leaks ? 3 : 0;
  } finally {
    img.close();
  }
}
