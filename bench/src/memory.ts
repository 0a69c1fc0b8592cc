import type { BenchProcess } from './processes';

/** Resident memory of one service: right after start, and the highest seen under load. */
export interface MemoryFigures {
  service: string;
  idleBytes: number;
  loadedBytes: number;
}

/**
 * Samples the resident memory of `process` every 200 ms from now on. The
 * first sample is the idle figure; call the returned function when the load
 * ends to get the highest.
 */
export function watchMemory(service: string, process: BenchProcess): () => MemoryFigures {
  const idleBytes = process.rssBytes();
  let loadedBytes = idleBytes;
  const timer = setInterval(() => {
    loadedBytes = Math.max(loadedBytes, process.rssBytes());
  }, 200);
  return () => {
    clearInterval(timer);
    loadedBytes = Math.max(loadedBytes, process.rssBytes());
    return { service, idleBytes, loadedBytes };
  };
}
