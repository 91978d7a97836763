/**
 * qemu-img's `-p` progress line ("    (42.00/100%)\r"), drawn as QEMU's
 * util/qemu-progress.c draws it: the state is a C `float`, a value is drawn
 * when it moved by more than the command's minimum step since last drawn,
 * and always at 0 and at 100; the end is a newline. Each command feeds it
 * as qemu-img's does: `convert` the share of data copied, `rebase` a fixed
 * step per chunk it compares, `commit` the share its block job copied.
 *
 * @module
 */

const f32 = Math.fround;

/**
 * `x` (0 or more) as C's `printf("%3.2f")` writes it: its exact decimal
 * value rounded, ties to even (JavaScript's `toFixed(2)` is not exact on
 * ties: it prints 0.13 for 0.125).
 *
 * @example
 * ```ts
 * import { fixed2 } from "./progress.ts";
 * console.log(fixed2(0.125), fixed2(2.675)); // "0.12" "2.67"
 * ```
 */
export function fixed2(x: number): string {
  const [whole, frac] = x.toFixed(100).split("."); // exact for a double below 100
  let hundredths = BigInt(whole + frac.slice(0, 2));
  const rest = frac.slice(2), half = "5".padEnd(rest.length, "0");
  if (rest > half || (rest === half && hundredths % 2n === 1n)) hundredths++;
  const digits = hundredths.toString().padStart(3, "0");
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/**
 * The progress state of one qemu-img command (qemu_progress_init with
 * `minSkip`, then qemu_progress_print and qemu_progress_end).
 *
 * @example
 * ```ts
 * import { QemuProgress } from "./progress.ts";
 * const p = new QemuProgress(false, 2);
 * p.print(0, 100); // draws 0.00
 * p.print(25, 100); // adds 25: draws 25.00
 * p.print(100, 0); // sets 100: draws 100.00
 * p.end();
 * ```
 */
export class QemuProgress {
  #current = 0;
  #last = 0;
  readonly #minSkip: number;

  constructor(readonly enabled: boolean, minSkip: number) {
    this.#minSkip = f32(minSkip);
  }

  /** Adds `delta`% of `max` (qemu's relative form), or with `max` 0 sets `delta`%. */
  print(delta: number, max: number): void {
    const current = Math.min(
      100,
      max === 0 ? f32(delta) : f32(this.#current + f32(f32(f32(delta) / 100) * max)),
    );
    this.#current = current;
    const last = this.#last;
    if (
      current > f32(last + this.#minSkip) || current < f32(last - this.#minSkip) ||
      current === 0 || current === 100
    ) {
      this.#last = current;
      this.#write(`    (${fixed2(current)}/100%)\r`);
    }
  }

  /** Ends the line (qemu_progress_end: on success and on failure alike). */
  end(): void {
    this.#write("\n");
  }

  #write(text: string): void {
    if (this.enabled) Deno.stdout.writeSync(new TextEncoder().encode(text));
  }
}

/** The bytes per progress step of `convert` (QEMU's convert buffer, IO_BUF_SIZE). */
const CONVERT_STEP = 2 << 20;

/**
 * `convert -p`: the share of the data runs copied, in QEMU's 2 MiB steps,
 * with a minimum step of 1%.
 */
export class ConvertProgress {
  #done = 0;
  readonly #line: QemuProgress;

  constructor(enabled: boolean, readonly total: number, readonly step = CONVERT_STEP) {
    this.#line = new QemuProgress(enabled, 1);
    this.#line.print(0, 100);
  }

  /** Reports `n` more bytes of data copied. */
  add(n: number): void {
    for (let left = n; left > 0; left -= this.step) {
      this.#done += Math.min(left, this.step);
      this.#line.print((this.#done * 100) / this.total, 0);
    }
  }

  /** Draws 100% and ends the line. */
  end(): void {
    this.#line.print(100, 0);
    this.#line.end();
  }
}
