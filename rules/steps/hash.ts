// Short stable IDs for fixes and plans (FNV-1a): the same change gets the same ID, so applying it twice is recognised.
export function shortHash(text: string): string {
  return new ContentHash().feed(text).hex();
}

/** The same hash fed in pieces: a plan of a million steps is hashed without first being one 100 MB string. */
export class ContentHash {
  private h = 0x811c9dc5;

  /** The text's characters, as shortHash reads them. */
  feed(text: string): this {
    let h = this.h;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    this.h = h;
    return this;
  }

  /** One piece of a longer content, and a zero after it: ["ab", "c"] and ["a", "bc"] differ. */
  add(text: string): this {
    this.feed(text);
    this.h = Math.imul(this.h, 0x01000193) >>> 0;
    return this;
  }

  hex(): string {
    return this.h.toString(16).padStart(8, '0');
  }
}
