import type { StorageAdapter } from '@palisade/core';

/** What an adapter gives the conformance suite. */
export interface ConformanceTarget {
  /** Shown in test names: `sqlite`, `postgres`. */
  readonly name: string;
  /** Opens a new, empty storage: its own file, schema or database. */
  open(): Promise<OpenedStorage>;
}

export interface OpenedStorage {
  readonly adapter: StorageAdapter;
  /** Everything the adapter persisted, as text, for checks that a value never reached storage. */
  readonly storedText?: () => Promise<string>;
  /**
   * For storage that several OS processes can share (a file, a server): a JS
   * module exporting `storagePlugin`, and the options that open this same
   * storage. Enables the cross-process race and the SIGKILL crash tests.
   */
  readonly shared?: { readonly pluginModule: string; readonly options: unknown };
  /** Removes what `open()` made. */
  readonly cleanup?: () => Promise<void>;
}
