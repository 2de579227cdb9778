#!/usr/bin/env node
import { rerunWithAllocatorSettings } from './allocator.js';
import { main } from './main.js';

process.exitCode = rerunWithAllocatorSettings() ?? (await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
