/**
 * QEMU's `secret` objects (`--object secret,id=ID,data=TEXT` or `file=PATH`, `format=raw` or
 * `base64`): the passphrases and keys encrypted images are opened with, found by id from an
 * image's `encrypt.key-secret` (or a LUKS image's `key-secret`). One registry per process, as
 * QEMU's object tree.
 *
 * @module
 */

import { EmuError } from "./errors.ts";

const secrets = new Map<string, Uint8Array>();

/** The `key=value` pairs of an object option, the first a bare type (QEMU's qom-type). */
function objectProps(spec: string): { type: string; props: Map<string, string> } {
  const [type, ...rest] = spec.split(",");
  const props = new Map<string, string>();
  for (const kv of rest) {
    const eq = kv.indexOf("=");
    props.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? "on" : kv.slice(eq + 1));
  }
  return { type: type.replace(/^qom-type=/, ""), props };
}

function secretValue(props: Map<string, string>): Uint8Array {
  const data = props.get("data"), file = props.get("file");
  if (data !== undefined && file !== undefined) {
    throw new EmuError("'file' and 'data' are mutually exclusive");
  }
  if (data === undefined && file === undefined) {
    throw new EmuError("Either 'file' or 'data' must be provided");
  }
  let raw: Uint8Array;
  if (file === undefined) raw = new TextEncoder().encode(data);
  else {
    try {
      raw = Deno.readFileSync(file);
    } catch (e) {
      // glib's words, as QEMU's
      const why = e instanceof Deno.errors.NotFound
        ? "No such file or directory"
        : e instanceof Deno.errors.PermissionDenied
        ? "Permission denied"
        : String(e instanceof Error ? e.message : e);
      throw new EmuError(`Unable to read ${file}: Failed to open file “${file}”: ${why}`);
    }
  }
  const format = props.get("format") ?? "raw";
  if (format === "raw") return raw;
  if (format !== "base64") {
    throw new EmuError(`Parameter 'format' does not accept value '${format}'`);
  }
  const text = new TextDecoder().decode(raw);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new EmuError("Base64 data contains invalid characters");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Adds the object `spec` (an `--object` option's value); only `secret` objects are known.
 *
 * @example
 * ```ts
 * import { addObject, secretBytes } from "./block_secrets.ts";
 * addObject("secret,id=doc0,data=abc");
 * console.log(secretBytes("doc0").length); // 3
 * ```
 */
export function addObject(spec: string): void {
  const { type, props } = objectProps(spec);
  if (type !== "secret") throw new EmuError(`Parameter 'qom-type' does not accept value '${type}'`);
  for (const k of props.keys()) {
    if (!["id", "data", "file", "format"].includes(k)) {
      throw new EmuError(`Parameter '${k}' is unexpected`);
    }
  }
  const id = props.get("id");
  if (id === undefined) throw new EmuError("Parameter 'id' is missing");
  const value = secretValue(props);
  if (secrets.has(id)) {
    throw new EmuError(`attempt to add duplicate property '${id}' to object (type 'container')`);
  }
  secrets.set(id, value);
}

/**
 * The bytes of secret `id`; QEMU's error if there is none.
 *
 * @example
 * ```ts ignore
 * const password = secretBytes(options.driverOptions?.["encrypt.key-secret"]!);
 * ```
 */
export function secretBytes(id: string): Uint8Array {
  const s = secrets.get(id);
  if (!s) throw new EmuError(`No secret with id '${id}'`);
  return s;
}

/**
 * The password of an encrypted image from its open options' secret id `id`: QEMU's error
 * when the option is missing.
 *
 * @example
 * ```ts ignore
 * const password = keySecret(options.driverOptions?.["encrypt.key-secret"], "encrypt.key-secret");
 * ```
 */
export function keySecret(id: string | undefined, option: string): Uint8Array {
  if (id === undefined) throw new EmuError(`Parameter '${option}' is required for cipher`);
  return secretBytes(id);
}
