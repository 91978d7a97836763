/**
 * `emu system -device help` and `-device NAME,help` in qemu-system-riscv64's
 * format: the devices by category (`name "virtio-blk-pci", bus PCI, alias
 * "virtio-blk"`), then one device's options (`  serial=<str> - ...`). The
 * list has Denemu's device plugins and QEMU's names for its virtio devices.
 *
 * @module
 */

import { builtinPlugins, type DevicePlugin, loadDevicePlugin } from "../core/plugin.ts";
import { DEVICE_ALIASES } from "../plugins/machines/virt/mod.ts";

/** QEMU's categories, in its order; a device without one is "Uncategorized". */
const CATEGORIES = ["Storage", "Misc", "Uncategorized"];

/** One `-device help` line. */
function entry(name: string, bus: string, alias?: string, desc?: string): string {
  return `name "${name}", bus ${bus}` + (alias ? `, alias "${alias}"` : "") +
    (desc ? `, desc "${desc}"` : "");
}

async function plugins(): Promise<DevicePlugin[]> {
  return await Promise.all(builtinPlugins("plugins/devices").map((n) => loadDevicePlugin(n)));
}

/**
 * `-device help`: every device by QEMU's category, names sorted, a blank
 * line between categories.
 *
 * @example
 * ```ts ignore
 * console.log(await deviceList()); // Storage devices:\nname "virtio-blk-device", bus virtio-bus...
 * ```
 */
export async function deviceList(): Promise<string> {
  const byCategory = new Map<string, string[]>(CATEGORIES.map((c) => [c, []]));
  for (const p of await plugins()) {
    const category = p.category ?? "Uncategorized";
    const virtio = p.options?.bus !== undefined;
    byCategory.get(category)!.push(
      entry(p.name, virtio ? "virtio-bus" : "System", undefined, p.description),
    );
    for (const [name, a] of Object.entries(DEVICE_ALIASES)) {
      if (a.plugin !== p.name || Object.values(DEVICE_ALIASES).some((b) => b.alias === name)) {
        continue;
      }
      byCategory.get(category)!.push(entry(name, a.pci ? "PCI" : "virtio-bus", a.alias));
    }
  }
  return [...byCategory].filter(([, lines]) => lines.length).map(([c, lines]) =>
    `${c} devices:\n${lines.sort().join("\n")}`
  ).join("\n\n");
}

/**
 * `-device NAME,help`: its options as QEMU lists a device's properties, or
 * null when there is no such device.
 */
export async function deviceOptions(name: string): Promise<string | null> {
  const plugin = DEVICE_ALIASES[name]?.plugin ?? name;
  if (!builtinPlugins("plugins/devices").includes(plugin)) return null;
  const options = Object.entries((await loadDevicePlugin(plugin)).options ?? {});
  if (!options.length) return `There are no options for ${name}.`;
  const lines = options.sort(([a], [b]) => a < b ? -1 : 1).map(([key, o]) => {
    const about = (o.help ?? "") + (o.default !== undefined ? ` (default: ${o.default})` : "");
    const head = `  ${key}=<${o.type}>`;
    return about ? `${head.padEnd(24)} - ${about}` : head;
  });
  return `${name} options:\n${lines.join("\n")}`;
}
