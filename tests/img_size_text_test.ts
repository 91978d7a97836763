// emu img info's human sizes are qemu-img's `%0.3g`: exact halves round to even (192.5 KiB is
// "192 KiB") and a value that rounds to 1000 prints as "1e+03 KiB".
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { sizeToStr } from "../cli/img/format.ts";
import { emuImg, QEMU_IMG_MISSING, qemuImg } from "./util/qemu_img.ts";

/** Sizes (whole sectors, as raw images have) at the edges of `%0.3g`. */
const SIZES = [197120, 12800, 12544, 1023488, 1024000, 1048064, 1536, 512, 0, 1 << 30];

Deno.test("sizeToStr: halves to even and 1e+03, as C's %0.3g", () => {
  assert.equal(sizeToStr(197120), "192 KiB");
  assert.equal(sizeToStr(12544), "12.2 KiB");
  assert.equal(sizeToStr(1023488), "1e+03 KiB");
  assert.equal(sizeToStr(67108864), "64 MiB");
  assert.equal(sizeToStr(1000), "0.977 KiB");
});

Deno.test({
  name: "emu img info: virtual size lines equal qemu-img's at the edges of %0.3g",
  ignore: !!QEMU_IMG_MISSING,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      for (const size of SIZES) {
        await Deno.writeFile(`${dir}/r.raw`, new Uint8Array());
        await Deno.truncate(`${dir}/r.raw`, size);
        const line = (out: string) => out.split("\n")[2];
        const emu = await emuImg(["info", "-f", "raw", "r.raw"], dir);
        const qemu = await qemuImg(["info", "-f", "raw", "r.raw"], dir);
        assert.equal(line(emu.stdout), line(qemu.stdout), `${size} bytes`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
