# Every vector (V 1.0) operand form the disassembler prints, for the objdump fixture.
  vsetvli t0, x0, e32, m1, ta, mu
  vsetivli a0, 3, e8, mf2, tu, ma
  vle32.v v1, (a0)
  vle32.v v1, (a0), v0.t
  vlse16.v v2, (a1), a2
  vluxei32.v v3, (a1), v4
  vsseg2e8.v v4, (a1)
  vadd.vv v1, v2, v3
  vadd.vx v1, v2, a0, v0.t
  vadd.vi v1, v2, -3
  vsll.vi v1, v2, 31
  vmacc.vx v1, a0, v2
  vmerge.vim v1, v2, 5, v0
  vmv.v.x v1, a0
  vmadc.vvm v1, v2, v3, v0
  vnclip.wi v1, v2, 3
  vwaddu.wv v2, v4, v1
  vzext.vf2 v2, v4
  vl2re32.v v2, (a0)
  vs4r.v v4, (a0)
  vlm.v v0, (a0)
  vle64ff.v v8, (a0)
  vsetvl a0, a1, a2
  vredsum.vs v1, v2, v3
  vredmax.vs v1, v2, v3, v0.t
  vwredsumu.vs v1, v2, v3
  vmandn.mm v1, v2, v3
  vmxnor.mm v1, v2, v3
  vmv.x.s a0, v3
  vcpop.m a0, v3, v0.t
  vfirst.m a0, v3
  vmv.s.x v3, a1
  vmsbf.m v1, v2, v0.t
  vmsif.m v1, v2
  viota.m v1, v2
  vid.v v1, v0.t
  vcompress.vm v1, v2, v3
  vmv2r.v v2, v4
  vmv8r.v v8, v16
  vslideup.vx v1, v2, a0
  vslideup.vi v1, v2, 31, v0.t
  vslidedown.vi v1, v2, 3
  vslide1up.vx v1, v2, a0
  vslide1down.vx v1, v2, a0, v0.t
  vrgather.vv v1, v2, v3
  vrgather.vx v1, v2, a0
  vrgather.vi v1, v2, 17
  vrgatherei16.vv v1, v2, v3, v0.t
  vfadd.vv v1, v2, v3, v0.t
  vfadd.vf v1, v2, fa0
  vfrsub.vf v1, v2, fa0
  vfmacc.vv v1, v2, v3
  vfnmsub.vf v1, fa1, v3, v0.t
  vfwadd.wf v2, v4, fa0
  vfwmacc.vf v2, fa0, v1
  vmfeq.vv v1, v2, v3
  vmfge.vf v1, v2, fa0
  vfcvt.rtz.x.f.v v1, v2
  vfwcvt.f.f.v v2, v1
  vfncvt.rod.f.f.w v1, v2, v0.t
  vfsqrt.v v1, v2
  vfrec7.v v1, v2
  vfrsqrt7.v v1, v2
  vfclass.v v1, v2
  vfredosum.vs v1, v2, v3
  vfwredusum.vs v1, v2, v3
  vfmv.f.s fa0, v1
  vfmv.s.f v1, fa0
  vfmv.v.f v1, fa0
  vfmerge.vfm v1, v2, fa0, v0
  vfslide1down.vf v1, v2, fa0
  vwmaccus.vx v2, a0, v1
  vnsra.wx v1, v2, a0
  vssra.vi v1, v2, 7
  vmsgtu.vi v1, v2, -16
  vlsseg3e16.v v3, (a0), a1, v0.t
  vloxseg2ei64.v v2, (a0), v4
  vsuxei16.v v1, (a0), v2
