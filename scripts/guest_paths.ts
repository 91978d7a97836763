// Where the repository and its guest programs are, for the scripts that build guests.
// SPDX-License-Identifier: GPL-3.0-or-later

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** tests/guests: sources, binaries and expected results of the guest programs. */
export const GUESTS = join(REPO, "tests/guests");
