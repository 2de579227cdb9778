export declare function serveTestPage(settings: {
  /** esbuild's `build`. */
  build: (options: never) => Promise<{ outputFiles?: { text: string }[]; metafile?: { inputs: Record<string, unknown> } }>;
  entry: string;
  external?: string[];
  jsonFolders?: Record<string, URL>;
  /** Added to the page's and the script's responses. */
  headers?: Record<string, string>;
}): Promise<{ url: string; inputs: string[]; close(): Promise<void> }>;
