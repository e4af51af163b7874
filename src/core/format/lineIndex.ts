/** Zero-based line and character (UTF-16 code unit) position, as VS Code and LSP use. */
export interface LinePosition {
  readonly line: number;
  readonly character: number;
}

/** Converts between offsets and line/character positions. `\n`, `\r\n` and `\r` each end a line. */
export class LineIndex {
  private readonly lineStarts: number[];

  constructor(private readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0a) {
        starts.push(i + 1);
      } else if (code === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) {
          i++;
        }
        starts.push(i + 1);
      }
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Returns the position of an offset, clamped to the text. */
  positionAt(offset: number): LinePosition {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= clamped) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return { line: low, character: clamped - this.lineStarts[low] };
  }

  /** Returns the offset of a position, clamped to the line and to the text. */
  offsetAt(line: number, character: number): number {
    if (line < 0) {
      return 0;
    }
    if (line >= this.lineStarts.length) {
      return this.text.length;
    }
    const start = this.lineStarts[line];
    const nextStart = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
    let end = nextStart;
    // The line break itself is not part of the line. The last line has none.
    if (line + 1 < this.lineStarts.length) {
      if (this.text.charCodeAt(end - 1) === 0x0a) {
        end--;
      }
      if (end > start && this.text.charCodeAt(end - 1) === 0x0d) {
        end--;
      }
    }
    return Math.min(start + Math.max(0, character), end);
  }
}
