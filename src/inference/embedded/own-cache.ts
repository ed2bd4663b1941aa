/**
 * The candidates' own keys and values, one buffer per cache tensor (layer × key/value), token-major
 * (slot, row, head × head_dim): a step's new keys, (rows, heads, 1, head_dim) from the graph, are
 * exactly one slot, so appending is a single copy and the graph's input is a prefix of the buffer.
 * Slot 0 stays zero: the placeholder the graph's key_valid masks.
 */
export class OwnCache {
  /** Slots in use, the placeholder included. */
  slots = 1;
  private buffers: Float32Array[];

  constructor(
    readonly tensors: number,
    readonly rows: number,
    /** heads × head_dim. */
    readonly width: number,
    capacity: number,
  ) {
    this.buffers = Array.from({ length: tensors }, () => new Float32Array(Math.max(1, capacity) * rows * width));
  }

  private get slotSize(): number {
    return this.rows * this.width;
  }

  /** The graph's past for tensor i: (slots, rows, heads, head_dim), no copy. */
  view(i: number): Float32Array {
    return (this.buffers[i] as Float32Array).subarray(0, this.slots * this.slotSize);
  }

  /**
   * The graph's key_valid, (rows, prefix + slots + fresh) row-major: the shared prefix's keys, this
   * cache's slots with the placeholder masked, then the call's `fresh` new tokens.
   */
  keyValid(prefix: number, fresh: number): Int32Array {
    const width = prefix + this.slots + fresh;
    const valid = new Int32Array(this.rows * width).fill(1);
    for (let r = 0; r < this.rows; r++) valid[r * width + prefix] = 0;
    return valid;
  }

  append(fresh: Float32Array[]): void {
    const size = this.slotSize;
    if ((this.slots + 1) * size > (this.buffers[0] as Float32Array).length) {
      this.buffers = this.buffers.map((b) => {
        const grown = new Float32Array(b.length * 2);
        grown.set(b.subarray(0, this.slots * size));
        return grown;
      });
    }
    fresh.forEach((f, i) => {
      if (f.length !== size)
        throw new Error(`decoder returned ${f.length} new cache values for ${this.rows} rows; expected ${size}`);
      (this.buffers[i] as Float32Array).set(f, this.slots * size);
    });
    this.slots++;
  }

  /** A cache for the given rows only (in that order), every slot kept. */
  keepRows(rows: number[]): OwnCache {
    const kept = new OwnCache(this.tensors, rows.length, this.width, this.slots);
    const w = this.width;
    this.buffers.forEach((src, i) => {
      const dst = kept.buffers[i] as Float32Array;
      for (let s = 0; s < this.slots; s++) {
        rows.forEach((r, k) =>
          dst.set(src.subarray((s * this.rows + r) * w, (s * this.rows + r + 1) * w), (s * rows.length + k) * w),
        );
      }
    });
    kept.slots = this.slots;
    return kept;
  }
}
