/**
 * Writes one R2 object from bytes that arrive in pieces, without holding the whole file. R2's
 * `put` needs the length of a streamed body before it starts, which a file being built does not
 * know (a `FixedLengthStream` would need the rows twice, or the whole file built first), so:
 * the bytes fill a part of `partBytes`; a file that ends within its first part is one `put` of
 * that part (one request, the common case below ~8 MiB); a longer one becomes a multipart upload
 * whose parts are all exactly `partBytes` (R2 wants equal parts, each at least 5 MiB, except the
 * last) and is completed at the end. At most one part is held at a time. A failure aborts the
 * upload, so no half-written object replaces a good one; a retry writes the same key again.
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export class R2ObjectWriter {
  readonly #bucket: R2Bucket;
  readonly #key: string;
  readonly #options: R2PutOptions & R2MultipartOptions;
  readonly #partBytes: number;
  #part: Uint8Array;
  #filled = 0;
  #upload: R2MultipartUpload | null = null;
  #parts: R2UploadedPart[] = [];
  #total = 0;
  #closed = false;

  constructor(bucket: R2Bucket, key: string, options: R2PutOptions & R2MultipartOptions, partBytes = DEFAULT_PART_BYTES) {
    if (!Number.isInteger(partBytes) || partBytes < MIN_PART_BYTES) throw new RangeError(`partBytes must be at least ${MIN_PART_BYTES}`);
    this.#bucket = bucket;
    this.#key = key;
    this.#options = options;
    this.#partBytes = partBytes;
    this.#part = new Uint8Array(partBytes);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#total;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.#partBytes - this.#filled);
      this.#part.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      this.#total += n;
      if (this.#filled === this.#partBytes) await this.#sendPart();
    }
  }

  /** Stores the object; returns its size in bytes. */
  async close(): Promise<number> {
    if (this.#upload === null) {
      await this.#bucket.put(this.#key, this.#part.subarray(0, this.#filled), this.#options);
    } else {
      if (this.#filled > 0) await this.#sendPart();
      await this.#upload.complete(this.#parts);
    }
    this.#closed = true;
    this.#part = new Uint8Array(0);
    return this.#total;
  }

  /** Gives up: an unfinished multipart upload is aborted (a single put has not happened yet). */
  async abort(): Promise<void> {
    const upload = this.#upload;
    this.#upload = null;
    this.#part = new Uint8Array(0);
    if (upload !== null && !this.#closed) await upload.abort().catch(() => undefined);
  }

  async #sendPart(): Promise<void> {
    this.#upload ??= await this.#bucket.createMultipartUpload(this.#key, this.#options);
    const body = this.#filled === this.#partBytes ? this.#part : this.#part.slice(0, this.#filled);
    this.#parts.push(await this.#upload.uploadPart(this.#parts.length + 1, body));
    // A fresh buffer: the one just sent may still be read by the runtime.
    if (this.#filled === this.#partBytes) this.#part = new Uint8Array(this.#partBytes);
    this.#filled = 0;
  }
}
