export declare function serveTestPage(settings: {
  /** esbuild's `build`. */
  build: (options: never) => Promise<{ outputFiles?: { text: string }[] }>;
  entry: string;
  external?: string[];
  jsonFolders?: Record<string, URL>;
}): Promise<{ url: string; close(): Promise<void> }>;
