/**
 * The parts of Azurite's server classes we use. Azurite ships no type declarations, and its package entry
 * needs VS Code, so the servers are loaded by deep import (see reference/protocols.md §5).
 */
declare module 'azurite/dist/src/common/ServerBase' {
  export default abstract class ServerBase {
    start(): Promise<void>;
    close(): Promise<void>;
    /** Deletes the persisted (or in-memory) data; only when closed. */
    clean(): Promise<void>;
    /** e.g. `http://127.0.0.1:10000` */
    getHttpServerAddress(): string;
  }
}

declare module 'azurite/dist/src/common/persistence/MemoryExtentStore' {
  /** An isolated in-memory store for blob/queue contents. */
  export const MemoryExtentChunkStore: new (sizeLimit: number) => object;
  export type MemoryExtentChunkStore = object;
  export const DEFAULT_EXTENT_MEMORY_LIMIT: number;
}

declare module 'azurite/dist/src/blob/BlobServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  export default class BlobServer extends ServerBase {
    constructor(configuration: unknown);
  }
}

declare module 'azurite/dist/src/blob/BlobConfiguration' {
  const BlobConfiguration: new (...positional: unknown[]) => object;
  export default BlobConfiguration;
}

declare module 'azurite/dist/src/queue/QueueServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  export default class QueueServer extends ServerBase {
    constructor(configuration: unknown);
  }
}

declare module 'azurite/dist/src/queue/QueueConfiguration' {
  const QueueConfiguration: new (...positional: unknown[]) => object;
  export default QueueConfiguration;
}

declare module 'azurite/dist/src/table/TableServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  export default class TableServer extends ServerBase {
    constructor(configuration: unknown);
  }
}

declare module 'azurite/dist/src/table/TableConfiguration' {
  const TableConfiguration: new (...positional: unknown[]) => object;
  export default TableConfiguration;
}
