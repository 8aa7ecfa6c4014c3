/**
 * Just enough of the WebAssembly binary format to write the fused optimizer kernels from TypeScript: a
 * module that imports one memory and exports functions, whose bodies are written with the few
 * instructions below (scalar control flow, i32 and f32/f64 arithmetic, 128-bit SIMD loads, stores and
 * float lanes). No toolchain and no build step: the bytes are made when the trainer starts (~0.1 ms).
 * Opcodes are those of the WebAssembly 2.0 core specification (SIMD proposal, final numbering).
 */

export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** A function body under construction: locals first (after the parameters), then instructions. */
export class Body {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(private readonly params: readonly ValType[]) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  /** The encoded body: local declarations (one run per local; fine for a handful) and the code. */
  encode(): number[] {
    const decls = this.locals.map((t) => [1, VALTYPE[t]]);
    const body = [...vec(decls), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }

  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }
  i32(n: number): this { return this.op(0x41, ...sleb(n)); }
  i32Add(): this { return this.op(0x6a); }
  i32Shl(): this { return this.op(0x74); }
  i32GeU(): this { return this.op(0x4f); }
  f64Add(): this { return this.op(0xa0); }

  /** `block` … `loop` … `end end`: `body` runs while `cond` (pushing an i32) is false, i.e. `cond` exits. */
  whileNot(cond: (b: this) => void, body: (b: this) => void): this {
    this.op(0x02, 0x40, 0x03, 0x40); // block (no result), loop (no result)
    cond(this);
    this.op(0x0d, 1); // br_if 1: out of the block
    body(this);
    return this.op(0x0c, 0, 0x0b, 0x0b); // br 0 (to the loop's start), end loop, end block
  }

  /** v128 at byte address (on the stack) + offset. */
  load(offset = 0): this { return this.simd(0x00, 4, ...uleb(offset)); }
  /** Two float32s at address + offset into the low half, zeros in the high half. */
  load64Zero(offset = 0): this { return this.simd(0x5d, 3, ...uleb(offset)); }
  /** Stores the v128 on top of the stack at the address below it + offset. */
  store(offset = 0): this { return this.simd(0x0b, 4, ...uleb(offset)); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  f64x2PromoteLow(): this { return this.simd(0x5f); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Lane(lane: 0 | 1): this { return this.simd(0x21, lane); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
}

export interface FunctionDef {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly body: Body;
}

/** A module importing `env.memory` and exporting `functions` by name. */
export function moduleBytes(functions: readonly FunctionDef[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [VALTYPE[t]])), ...vec(f.results.map((t) => [VALTYPE[t]]))]);
  const memoryImport = [...utf8Vec('env'), ...utf8Vec('memory'), 0x02, 0x00, 0x00]; // memory, limits: min 0, no max
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...utf8Vec(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.body.encode()))),
  ];
  return Uint8Array.from(bytes);
}

function utf8Vec(s: string): number[] {
  const b = utf8(s);
  return [...uleb(b.length), ...b];
}
