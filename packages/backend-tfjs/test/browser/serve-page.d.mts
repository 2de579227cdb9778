export declare function servePage(): Promise<{ url: string; close(): Promise<void> }>;
