/**
 * Vector mask, reduction and permutation instructions as helpers.
 *
 * @module
 */

import type { HelperDef } from "../../plugin.ts";

/**
 * The helper of the mask, reduction or permutation instruction `mnemonic`, or undefined.
 *
 * @example
 * ```ts
 * import { permutationHelper } from "./vector_perm.ts";
 * console.log(permutationHelper("vadd.vv")); // undefined
 * ```
 */
export function permutationHelper(_mnemonic: string): HelperDef | undefined {
  return undefined;
}
