import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where the SDK keeps this process's anonymous id. Any object with `load()` (the saved
 * id, or `undefined`) and `save(id)` works; the SDK makes an id (`crypto.randomUUID`) and
 * saves it when `load` finds none.
 * @typedef {{load(): string | undefined, save(id: string): void}} AnonymousIdStore
 */

/** Keeps the id for the life of the process only. @implements {AnonymousIdStore} */
export class MemoryAnonymousIdStore {
  /** @param {string} [initial] */
  constructor(initial) {
    /** @type {string | undefined} */
    this.value = initial;
  }

  load() {
    return this.value;
  }

  /** @param {string} id */
  save(id) {
    this.value = id;
  }
}

/**
 * Keeps the id in a small text file (its directory created on first save, the file
 * replaced atomically by rename), so it survives restarts. An unreadable, empty or
 * oversized file counts as "no id".
 * @implements {AnonymousIdStore}
 */
export class FileAnonymousIdStore {
  /** @param {string} path */
  constructor(path) {
    if (typeof path !== 'string' || path === '') throw new TypeError('FileAnonymousIdStore path must be a non-empty string');
    this.path = path;
  }

  load() {
    let text;
    try {
      text = readFileSync(this.path, 'utf8').trim();
    } catch {
      return undefined;
    }
    return text === '' || Buffer.byteLength(text) > 200 ? undefined : text;
  }

  /** @param {string} id */
  save(id) {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${id}\n`);
    renameSync(temporary, this.path);
  }
}
