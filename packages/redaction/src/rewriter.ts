import { mask } from './transforms.js';

/** Text that only Latin-1 code units make up can be copied one byte per character. */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/** ASCII letters and digits, by code unit. */
const ASCII_ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_ALNUM[c] = /[A-Za-z0-9]/.test(String.fromCharCode(c)) ? 1 : 0;

const STAR = 42;

/**
 * Builds the redacted copy of one string from its redactions, given in order
 * and not overlapping.
 *
 * Dense text has a match every hundred characters or so, and building the
 * copy as a chain of slices and masked pieces (then flattening it when the
 * event is serialised) cost more than some detectors. So a mask that keeps the
 * length, which the format-keeping mask of ASCII text always does, is written
 * straight into a byte copy of the string; replacements that change the length
 * (hashes, placeholders, email masks, masks of non-ASCII text) are spliced in
 * afterwards, at the same indices, since the in-place masks moved nothing.
 */
export class Rewriter {
  private bytes: Buffer | undefined;
  private encoding: 'latin1' | 'utf16le' = 'latin1';
  private readonly splices: { start: number; end: number; text: string }[] = [];

  constructor(private readonly text: string) {}

  /** `mask(type, text[start, end], reveal)`: in place when it keeps the length, spliced otherwise. */
  mask(type: string, start: number, end: number, reveal: number): void {
    if (type !== 'email' && this.maskAsciiInPlace(start, end, reveal)) return;
    this.replace(start, end, mask(type, this.text.slice(start, end), reveal));
  }

  /** Replaces text[start, end) with `replacement`. */
  replace(start: number, end: number, replacement: string): void {
    this.splices.push({ start, end, text: replacement });
  }

  result(): string {
    const base = this.bytes === undefined ? this.text : this.bytes.toString(this.encoding);
    if (this.splices.length === 0) return base;
    let out = '';
    let last = 0;
    for (const s of this.splices) {
      out += base.slice(last, s.start) + s.text;
      last = s.end;
    }
    return out + base.slice(last);
  }

  /** `maskTail` written into the byte copy; false (nothing written) when the range holds a non-ASCII character. */
  private maskAsciiInPlace(start: number, end: number, reveal: number): boolean {
    const text = this.text;
    let total = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) return false;
      total += ASCII_ALNUM[c] ?? 0;
    }
    let hidden = total - Math.min(reveal, Math.floor(total / 2));
    if (hidden === 0) return true;
    if (this.bytes === undefined) {
      this.encoding = BEYOND_LATIN1.test(text) ? 'utf16le' : 'latin1';
      this.bytes = Buffer.from(text, this.encoding);
    }
    const bytes = this.bytes;
    const wide = this.encoding === 'utf16le';
    for (let i = start; i < end && hidden > 0; i++) {
      if (ASCII_ALNUM[text.charCodeAt(i)] !== 1) continue;
      if (wide) {
        bytes[2 * i] = STAR;
        bytes[2 * i + 1] = 0;
      } else {
        bytes[i] = STAR;
      }
      hidden--;
    }
    return true;
  }
}
